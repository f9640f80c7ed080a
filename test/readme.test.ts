import * as fs from 'fs';
import * as path from 'path';
import { renderReadme } from '../scripts/readme-tables';

const README = path.join(__dirname, '..', 'README.md');

test('the README reference tables match the code (run `npm run docs` to update them)', () => {
  const text = fs.readFileSync(README, 'utf8');
  expect(renderReadme(text)).toBe(text);
});

test('the README shows the two set-up commands', () => {
  const text = fs.readFileSync(README, 'utf8');
  expect(text).toContain('npm ci && npm start');
  expect(text).toContain('npm test');
});
