// Walk a live LimeSurvey survey page by page in headless Chromium at phone width,
// run axe-core on every page, and print what it finds as JSON lines.
//
//   mkdir -p /tmp/axe && cd /tmp/axe && npm install puppeteer-core axe-core
//   NODE_PATH=/tmp/axe/node_modules node scripts/axe-limesurvey.mjs \
//       http://127.0.0.1:8081/index.php/123456 [--lang cy] [--width 375] [--shots DIR]
//
// Each page is answered with the first choice of every radio group (so that
// required questions let it move on), then "Next" is pressed, until the end page.
// Exit code 0 when no page has a serious or critical violation, 1 otherwise.

import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH || ".", "x.js"));
const puppeteer = require("puppeteer-core");
const axeSource = require("fs").readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const args = process.argv.slice(2);
const url = args[0];
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const lang = option("--lang", "en");
const width = Number(option("--width", "375"));
const shots = option("--shots", "");
const maxPages = Number(option("--max-pages", "80"));
if (!url) {
  console.error("usage: axe-limesurvey.mjs SURVEY_URL [--lang cy] [--width 375] [--shots DIR]");
  process.exit(2);
}
if (shots) mkdirSync(shots, { recursive: true });

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  headless: true,
});
let worst = 0;
try {
  const page = await browser.newPage();
  await page.setViewport({ width, height: 800, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  const sep = url.includes("?") ? "&" : "?";
  await page.goto(`${url}${sep}lang=${lang}&newtest=Y`, { waitUntil: "networkidle0", timeout: 60000 });
  for (let n = 1; n <= maxPages; n++) {
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return {
        title: document.title,
        h1: [...document.querySelectorAll("h1")].map((h) => h.textContent.trim()).slice(0, 2),
        height: document.documentElement.scrollHeight,
        violations: r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          nodes: v.nodes.length,
          targets: v.nodes.slice(0, 3).map((x) => x.target.join(" ")),
          summary: (v.nodes[0] && v.nodes[0].failureSummary || "").split("\n").slice(0, 3).join(" "),
        })),
      };
    });
    const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    if (serious.length) worst = 1;
    console.log(JSON.stringify({ page: n, lang, width, ...result }));
    if (shots) await page.screenshot({ path: path.join(shots, `${lang}-${String(n).padStart(2, "0")}.png`), fullPage: true });
    const next = await page.$("#ls-button-submit");
    if (!next) break;
    // answer what must be answered: the first option of each radio group on the page
    await page.evaluate(() => {
      const seen = new Set();
      for (const r of document.querySelectorAll('input[type="radio"]')) {
        if (!seen.has(r.name) && r.offsetParent !== null) {
          seen.add(r.name);
          r.click();
        }
      }
      for (const t of document.querySelectorAll('input[type="text"].form-control, textarea')) {
        if (t.offsetParent !== null && !t.value && t.closest(".mandatory")) t.value = "Test";
      }
    });
    await Promise.all([
      page.waitForNavigation({ waitUntil: "networkidle0", timeout: 60000 }).catch(() => null),
      next.click(),
    ]);
  }
} finally {
  await browser.close();
}
process.exit(worst);
