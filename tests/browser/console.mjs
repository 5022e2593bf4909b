// Drives the web console in Debian's headless chromium (playwright-core):
//   node console.mjs URL SCREENSHOT TOKEN
// on a wall that needs TOKEN. Prints one JSON object with what it saw; the
// Python test checks it and the wall's journal and snapshots.
import { chromium } from "playwright-core";

const [url, shot, token] = process.argv.slice(2);
const result = { urls_seen: 0, token_in_url: 0 };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync"],
});

// Every request URL the pages make: the token must be in none.
function watch(page) {
  page.on("request", (r) => {
    result.urls_seen++;
    if (r.url().includes(token)) result.token_in_url++;
  });
}

try {
  // Without signing in: the console's files load, the API answers 401.
  const anon = await browser.newContext();
  result.static_without_token = (await anon.request.get(url + "app.js")).status();
  result.api_without_token = (await anon.request.get(url + "api/status")).status();
  await anon.close();

  // A kiosk link signs in by itself and forgets the token at once.
  const kiosk = await browser.newContext();
  const kp = await kiosk.newPage();
  watch(kp);
  await kp.goto(url + "#token=" + encodeURIComponent(token));
  await kp.waitForSelector("#cameras tbody tr", { timeout: 10000 });
  result.kiosk_signed_in = await kp.isHidden("#signin");
  result.kiosk_hash = await kp.evaluate(() => location.hash);
  await kiosk.close();

  // The sign-in form: a wrong token, then the right one.
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  watch(page);
  await page.goto(url);
  await page.waitForSelector("#signin:not([hidden])", { timeout: 10000 });
  result.signin_form = true;
  await page.fill("#signin-token", "not-the-token-at-all");
  await page.click("#signin button");
  await page.waitForFunction(() => document.querySelector("#signin-error").textContent !== "");
  result.wrong_token_refused = true;
  await page.fill("#signin-token", token);
  await page.click("#signin button");
  // the camera table fills from the API, and the stream connects
  await page.waitForSelector("#cameras tbody tr");
  await page.waitForSelector("#conn.ok", { timeout: 10000 });
  result.cookie_http_only = !(await page.evaluate(() => document.cookie)).includes("vigil_session");
  const status = async () => (await page.request.get(url + "api/status")).json();
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
