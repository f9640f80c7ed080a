/**
 * The README's reference tables are generated from the code that enforces
 * them, so they cannot drift: the config reference from CONFIG_FIELDS (read off
 * the config schema's .meta() documentation, defaults and ranges), the
 * security defaults from SECURITY_DEFAULTS, the names from PLATFORM_NAMES.
 *
 *   npm run docs            rewrite the tables in README.md
 *   (test/readme.test.ts fails when README.md is out of date)
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_FIELDS } from '../lib/config/schema';
import { CLOUDS, CLOUD_TITLES } from '../lib/core/cloud';
import { NAME_RULES, Naming, PLATFORM_NAMES } from '../lib/core/naming';
import { SIZE_NAMES, SIZE_TABLE } from '../lib/core/sizes';
import { SECURITY_DEFAULTS } from '../lib/security-defaults';
import { renderPolicyRuleTable } from '../lib/policy/table';

const DEV_NAMING = new Naming({ company: 'contoso', project: 'mlops', environment: 'dev' });
const cell = (text: string): string => text.replace(/\|/g, '\\|');

function configTable(): string {
  const rows = CONFIG_FIELDS.map((f) => `| \`${f.path}\` | ${cell(f.description)} | ${cell(f.accepted)} | ${cell(f.default)} |`);
  return ['| field | meaning | accepted | default |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function sizesTable(): string {
  const rows = SIZE_NAMES.map((s) => {
    const cells = CLOUDS.map((c) => {
      const m = SIZE_TABLE[s][c];
      return `\`${m.instanceType}\`${m.accelerator ? ` + ${m.accelerator.count} × ${m.accelerator.type}` : ''}`;
    });
    return `| \`${s}\` | ${cells.join(' | ')} |`;
  });
  return [`| size | ${CLOUDS.map((c) => CLOUD_TITLES[c]).join(' | ')} |`, '| --- | --- | --- | --- |', ...rows].join('\n');
}

function namesTable(): string {
  const rows = CLOUDS.flatMap((c) =>
    PLATFORM_NAMES[c].map(([kind, resource]) => {
      const rule = NAME_RULES[kind];
      const example = DEV_NAMING.name(kind, resource);
      return `| ${CLOUD_TITLES[c]} | ${rule.label} | \`${example}\` | ${rule.min}–${rule.max}, ${rule.separator ? 'lowercase letters, digits, hyphens' : 'lowercase letters and digits'} |`;
    }),
  );
  return ['| cloud | resource | dev name | limits |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function securityTable(): string {
  const parts: string[] = [];
  for (const cloud of CLOUDS) {
    parts.push(`**${CLOUD_TITLES[cloud]}**`, '', '| rule ids | construct | secure default | relaxed by |', '| --- | --- | --- | --- |');
    for (const d of SECURITY_DEFAULTS.filter((x) => x.cloud === cloud)) {
      const relax = d.relaxedBy ? `\`${d.relaxedBy}\`` : `— (${cell(d.invariant ?? 'not relaxable')})`;
      parts.push(`| ${d.ruleIds.join(', ')} | \`${d.construct}\` | ${cell(d.requirement)} | ${relax} |`);
    }
    parts.push('');
  }
  return parts.join('\n').trimEnd();
}

/** The generated sections, by marker name. */
export const SECTIONS: Record<string, () => string> = {
  config: configTable,
  sizes: sizesTable,
  names: namesTable,
  security: securityTable,
  policy: renderPolicyRuleTable,
};

/** README text with every generated section replaced by its current content. */
export function renderReadme(text: string): string {
  let out = text;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`README.md lacks the markers ${start} … ${end}`);
    out = `${out.slice(0, i + start.length)}\n${render()}\n${out.slice(j)}`;
  }
  return out;
}

if (require.main === module) {
  const file = path.resolve(__dirname, '..', '..', 'README.md');
  fs.writeFileSync(file, renderReadme(fs.readFileSync(file, 'utf8')));
  console.log(`Updated the generated tables in ${file}`);
}
