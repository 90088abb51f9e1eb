/**
 * Time from navigation to JupyterLab's `app.restored`, with and without the extension,
 * alternating between two servers, in Debian's Chromium.
 *
 *   node benchmarks/page-load.js RUNS URL_WITH URL_WITHOUT
 */
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'ui-tests', 'node_modules', '@playwright/test'));

async function restoredAfter(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.jupyterapp !== undefined, null, { timeout: 60000 });
  const ms = await page.evaluate(async () => {
    await window.jupyterapp.restored;
    return performance.now();
  });
  await context.close();
  return ms;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

(async () => {
  const [runs, withUrl, withoutUrl] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
  });
  // One warm-up load each: the first load fills caches that every later load shares.
  await restoredAfter(browser, withUrl);
  await restoredAfter(browser, withoutUrl);
  const timings = { with: [], without: [] };
  for (let i = 0; i < runs; i++) {
    timings.with.push(await restoredAfter(browser, withUrl));
    timings.without.push(await restoredAfter(browser, withoutUrl));
  }
  await browser.close();
  const result = {
    runs,
    with: { median: Math.round(median(timings.with)) },
    without: { median: Math.round(median(timings.without)) }
  };
  result.ratio = Math.round((median(timings.with) / median(timings.without)) * 1000) / 1000;
  console.log(JSON.stringify(result));
})().catch(error => {
  console.error(error);
  process.exit(1);
});
