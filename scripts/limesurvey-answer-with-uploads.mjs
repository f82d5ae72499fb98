// Answer a live LimeSurvey survey in headless Chromium at phone width, uploading files
// through LimeSurvey's own uploader: how the replies in
// connectors/limesurvey/tests/data/replies/*uploaded* were made.
//
//   mkdir -p /tmp/axe && cd /tmp/axe && npm install puppeteer-core
//   NODE_PATH=/tmp/axe/node_modules node scripts/limesurvey-answer-with-uploads.mjs \
//       http://127.0.0.1:8081/index.php/123456 voice.wav photo.jpg [--lang cy]
//
// Every radio group gets its first choice and every empty text box "Day centre";
// the Nth upload question gets the Nth file. Prints the end page.

import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH || ".", "x.js"));
const puppeteer = require("puppeteer-core");

const args = process.argv.slice(2);
const langAt = args.indexOf("--lang");
const lang = langAt >= 0 ? args.splice(langAt, 2)[1] : "en";
const [url, ...files] = args;
if (!url) {
  console.error("usage: limesurvey-answer-with-uploads.mjs SURVEY_URL [FILE...] [--lang cy]");
  process.exit(2);
}
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
  headless: true,
});
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 375, height: 800, isMobile: true, hasTouch: true });
  await page.goto(`${url}?lang=${lang}&newtest=Y`, { waitUntil: "networkidle0", timeout: 60000 });
  let uploaded = 0;
  for (let n = 0; n < 120; n++) {
    const button = await page.$('a.upload[id^="upload_"]');
    if (button && uploaded < files.length) {
      await button.click();
      const choose = await page.waitForSelector('.modal.show button[id^="button_"]', { timeout: 20000 });
      const [chooser] = await Promise.all([page.waitForFileChooser({ timeout: 20000 }), choose.click()]);
      await chooser.accept([files[uploaded]]);
      await pause(3000);
      const said = await page.evaluate(() => document.querySelector(".modal.show").innerText);
      console.log(`upload ${files[uploaded]}: ${said.replace(/\s+/g, " ").slice(0, 160)}`);
      await (await page.$('.modal.show button.btn-primary[data-bs-dismiss="modal"]')).click();
      await pause(1000);
      uploaded++;
    }
    await page.evaluate(() => {
      const seen = new Set();
      for (const r of document.querySelectorAll("input[type=radio]")) {
        if (!seen.has(r.name)) {
          seen.add(r.name);
          r.click();
        }
      }
      for (const t of document.querySelectorAll("input[type=text]")) {
        if (!t.value && t.offsetParent) t.value = "Day centre";
      }
    });
    const next = await page.$("#ls-button-submit");
    if (!next) break;
    await Promise.all([
      page.waitForNavigation({ waitUntil: "networkidle0", timeout: 60000 }).catch(() => null),
      next.click(),
    ]);
  }
  console.log((await page.evaluate(() => document.body.innerText)).slice(0, 2000));
} finally {
  await browser.close();
}
