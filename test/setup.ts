import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// cdktf's Testing helpers leave `cdktf.outdir.*` folders in the temp dir; remove
// the ones this test file created.
const before = new Set(listOutdirs());
afterAll(() => {
  for (const dir of listOutdirs()) {
    if (!before.has(dir)) fs.rmSync(dir, { recursive: true, force: true });
  }
});

function listOutdirs(): string[] {
  const tmp = os.tmpdir();
  try {
    return fs
      .readdirSync(tmp)
      .filter((d) => d.startsWith('cdktf.outdir.'))
      .map((d) => path.join(tmp, d));
  } catch {
    return [];
  }
}

// Digests are not kept between test processes in the repository's node_modules/.cache (lib/private/file-digest.ts); tests that check it name their own file.
process.env.MLOPS_DIGEST_CACHE ??= 'off';
