import { appendFileSync } from 'node:fs';
// Prints the plain closing line CI reads: "N passed, N failed, N skipped".
// Counts leaf tests only, so a suite and its cases are not counted twice.
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    if (d.details?.type === 'suite') continue;
    if (d.skip || d.todo) skipped += 1;
    else if (event.type === 'test:pass') passed += 1;
    else failed += 1;
  }
  // scripts/test.mjs runs several phases and prints their sum as the last line.
  if (process.env.PUDU_TEST_SUMMARY_FILE) appendFileSync(process.env.PUDU_TEST_SUMMARY_FILE, `${JSON.stringify({ passed, failed, skipped })}\n`);
  yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
