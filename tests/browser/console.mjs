// Drives the web console in Debian's headless chromium (playwright-core):
//   node console.mjs URL SCREENSHOT
// Prints one JSON object with what it saw; the Python test checks it and
// the wall's journal and snapshots.
import { chromium } from "playwright-core";

const [url, shot] = process.argv.slice(2);
const result = {};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const status = async () => (await page.request.get(url + "api/status")).json();
  await page.goto(url);
  // the camera table fills from the API, and the stream connects
  await page.waitForSelector("#cameras tbody tr");
  await page.waitForSelector("#conn.ok", { timeout: 10000 });
  result.cameras = await page.$$eval("#cameras tbody tr", (rows) => rows.map((r) => r.dataset.camera));
  result.live = await page.$$eval("#cameras tbody td.state-live", (c) => c.length);
  // next page: the wall changes
  const before = (await status()).screens[0].page;
  await page.click("#next");
  let after = before;
  for (let i = 0; i < 50 && after === before; i++) {
    await page.waitForTimeout(100);
    after = (await status()).screens[0].page;
  }
  result.page_before = before;
  result.page_after = after;
  // the caption follows from the event stream, without a reload
  await page.waitForFunction((p) => document.querySelector(".screen")?.dataset.page === String(p), after);
  result.caption = await page.textContent(".screen .caption");
  // acknowledge the first open alert
  await page.waitForSelector("#alerts tbody tr button.ack", { timeout: 15000 });
  const row = await page.$("#alerts tbody tr");
  result.acked = await row.getAttribute("data-alert");
  await page.click("#alerts tbody tr button.ack");
  await page.waitForFunction((id) => {
    const tr = document.querySelector(`#alerts tr[data-alert="${id}"]`);
    return tr && tr.children[3].textContent === "acknowledged";
  }, result.acked, { timeout: 10000 });
  result.ack_shown = true;
  await page.waitForTimeout(500); // let a preview load for the screenshot
  await page.screenshot({ path: shot });
} catch (e) {
  result.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
