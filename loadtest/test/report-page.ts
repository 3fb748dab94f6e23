/**
 * Opening a generated report.html in Chromium for tests: every request except the file itself is refused
 * and recorded (the report must be self-contained), and charts are checked on their canvas pixels.
 */
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer';
import { CHART_COLORS, type CHART_IDS } from '../src/report/html';

export interface ReportPage {
  page: Page;
  /** URLs the page tried to fetch (all refused). */
  leaks: string[];
  /** Page errors and console errors. */
  errors: string[];
}

export async function openReportPage(browser: Browser, file: string): Promise<ReportPage> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const leaks: string[] = [];
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url() === url) return void request.continue();
    leaks.push(request.url());
    void request.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, leaks, errors };
}

/** The colour of each chart's first drawn series, which the checks look for. */
export const FIRST_COLOR: Record<(typeof CHART_IDS)[number], string> = {
  bots: CHART_COLORS.joined,
  bitrate: CHART_COLORS.bitrate,
  loss: CHART_COLORS.loss,
  'join-histogram': CHART_COLORS.joinHistogram,
  'server-cpu': CHART_COLORS.workers,
  'server-rss': CHART_COLORS.node,
};

/** Non-transparent pixels of a chart's canvas, and those near `hex` (anti-aliasing blurs edges). Null: no canvas. */
export function canvasPixels(page: Page, id: string, hex: string): Promise<{ painted: number; series: number } | null> {
  return page.evaluate(
    (chartId, color) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`#${chartId} canvas`);
      if (!canvas) return null;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
      let painted = 0;
      let series = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 0) painted++;
        if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) < 24 && Math.abs(data[i + 1]! - g!) < 24 && Math.abs(data[i + 2]! - b!) < 24) series++;
      }
      return { painted, series };
    },
    id,
    hex,
  );
}

/** Charts drawn by the page script, in order. */
export function chartsDrawn(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __chartsDrawn: string[] }).__chartsDrawn);
}
