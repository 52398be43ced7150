// Real-browser journeys through the office screens of the ogi console: the case list (filters,
// paging with its total, export, 分办/改派), the workbench counts leading to their lists, 督办
// with its charts, and the list at phone width. playwright-core driving Debian's chromium.
// Environment (as console.test.mjs, plus):
//   OGI_CONSOLE_URL; OGI_REGISTRAR / OGI_REGISTRAR_PASSWORD (a registrar of the demo agency: may
//   分办); OGI_OFFICE / OGI_OFFICE_PASSWORD (its 政务公开办); OGI_HANDLER / OGI_HANDLER_NEW_PASSWORD
//   (a handler: no 督办); OGI_SCREENSHOTS (where a failing journey leaves its screenshot).
// A user whose initial password must still be changed is given `${password}-New1` once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = () => env('OGI_CONSOLE_URL');

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.OGI_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

/// Sign in; an initial password is changed to `${password}-New1`, which later journeys use.
const changed = new Map();
async function signIn(page, user, password) {
  const current = changed.get(user) || password;
  await page.goto(`${base()}/login`);
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码', { exact: true }).fill(current);
  await page.getByRole('button', { name: '登录' }).click();
  const heading = page.getByRole('heading', { name: /工作台|修改密码/ });
  await heading.waitFor();
  if ((await heading.innerText()).includes('修改密码')) {
    const next = `${current}-New1`;
    await page.getByLabel('当前密码').fill(current);
    await page.getByLabel('新密码', { exact: true }).fill(next);
    await page.getByLabel('确认新密码').fill(next);
    await page.getByRole('button', { name: '修改密码并登录' }).click();
    await page.getByRole('heading', { name: '工作台' }).waitFor();
    changed.set(user, next);
  }
}

class WorkbenchPage {
  constructor(page) { this.page = page; }
  tile(label) { return this.page.locator('a.tile', { hasText: label }); }
  async count(label) { return Number(await this.tile(label).locator('.n').innerText()); }
}

class CasesPage {
  constructor(page) { this.page = page; }
  async open(query = '') { await this.page.goto(`${base()}/cases${query ? `?${query}` : ''}`); }
  rows() { return this.page.locator('#case-table tbody tr'); }
  async total() { return Number(await this.page.locator('#total').innerText()); }
  async filter(label, value) {
    await this.page.getByLabel(label, { exact: true }).selectOption({ label: value });
    await this.page.getByRole('button', { name: '搜索' }).click();
    await this.page.waitForLoadState('networkidle');
  }
}

async function journey(name, body, options = {}) {
  const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true, ...options });
  const page = await context.newPage();
  try {
    await body(page);
  } catch (e) {
    const dir = process.env.OGI_SCREENSHOTS;
    if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

test('each workbench count opens its list, which holds as many cases', async () => {
  await journey('workbench-counts', async (page) => {
    await signIn(page, env('OGI_REGISTRAR'), env('OGI_REGISTRAR_PASSWORD'));
    const workbench = new WorkbenchPage(page);
    const cases = new CasesPage(page);
    for (const label of ['待受理', '补正中', '征求意见中', '即将到期', '已逾期', '待审批']) {
      await page.goto(`${base()}/`);
      const n = await workbench.count(label);
      await workbench.tile(label).click();
      await page.getByRole('heading', { name: '案件列表' }).waitFor();
      assert.equal(await cases.total(), n, `${label}: the list's total is the tile's count`);
      assert.equal(await cases.rows().count(), Math.min(n, 50), label);
    }
  });
});

test('the list pages with its true total, filters, sorts and exports what it shows', async () => {
  await journey('case-list', async (page) => {
    await signIn(page, env('OGI_REGISTRAR'), env('OGI_REGISTRAR_PASSWORD'));
    const cases = new CasesPage(page);
    await cases.open();
    const total = await cases.total();
    assert.ok(total > 50, `the demo agency has more than a page of cases (${total})`);
    assert.equal(await cases.rows().count(), 50);
    await page.getByRole('link', { name: '下一页' }).click();
    await page.getByText(/第 2 \/ \d+ 页/).waitFor();
    assert.equal(await cases.total(), total);
    // Columns, in Chinese, with the applicant masked.
    const headers = await page.locator('#case-table thead th').allInnerTexts();
    for (const h of ['编号', '申请人', '内容摘要', '当前环节', '承办人', '收到日期', '答复期限', '剩余工作日']) {
      assert.ok(headers.includes(h), `column ${h}`);
    }
    const applicant = await cases.rows().first().locator('td[data-label="申请人"]').innerText();
    assert.match(applicant, /^\S\*+/, 'the applicant is masked');
    // Oldest first: received dates ascend.
    await cases.open('sort=asc');
    const dates = await page.locator('#case-table td[data-label="收到日期"]').allInnerTexts();
    assert.deepEqual([...dates].sort(), dates);
    // A stage filter narrows the list, and every row is in that stage.
    await cases.open();
    await cases.filter('当前环节', '已办结');
    const stages = await page.locator('#case-table td[data-label="当前环节"]').allInnerTexts();
    assert.ok(stages.length > 0 && stages.every((s) => s === '已办结'), stages.join());
    const closed = await cases.total();
    assert.ok(closed < total);
    // The export holds the filtered list: a workbook named cases.xlsx.
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /导出 Excel/ }).click();
    const file = await download;
    assert.equal(file.suggestedFilename(), 'cases.xlsx');
    const path = await file.path();
    const bytes = (await import('node:fs')).readFileSync(path);
    assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an Office Open XML package');
  });
});

test('分办: a newly registered application is given to a handler, and the list filtered by that handler shows it', async () => {
  await journey('assign', async (page) => {
    await signIn(page, env('OGI_REGISTRAR'), env('OGI_REGISTRAR_PASSWORD'));
    // A new application: 待受理 until a handler accepts it — the moment 分办 happens.
    const request = `申请公开分办测试事项${Date.now()}`;
    await page.getByRole('link', { name: '登记' }).click();
    await page.getByLabel('姓名或名称').fill('刘红梅');
    await page.getByLabel('证件号码').fill('510904198507120038');
    await page.getByLabel(/所需政府信息/).fill(request);
    await page.getByRole('button', { name: '登记' }).click();
    await page.getByRole('status').filter({ hasText: '已保存：登记' }).waitFor();
    const reference = (await page.locator('dt:text-is("编号") + dd').innerText()).trim();
    // It reaches the list from the receipt event: wait for it, as a user reloading would.
    const cases = new CasesPage(page);
    const deadline = Date.now() + 20_000;
    for (;;) {
      await cases.open(`stage=received&q=${encodeURIComponent(request)}`);
      if (await cases.rows().count() === 1) break;
      assert.ok(Date.now() < deadline, 'the new application is listed as 待受理');
      await page.waitForTimeout(300);
    }
    const row = cases.rows().first();
    assert.equal(await row.locator('td[data-label="编号"] a').innerText(), reference);
    assert.equal(await row.locator('td[data-label="承办人"]').innerText(), '未分办');
    const assignee = `h${Date.now()}`;
    // Without a tick the form says what is missing.
    await page.getByLabel('承办人（用户名）').fill(assignee);
    await page.getByRole('button', { name: '分办 / 改派' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /请先勾选/);
    await cases.open(`stage=received&q=${encodeURIComponent(request)}`);
    await cases.rows().first().getByRole('checkbox').check();
    await page.getByLabel('承办人（用户名）').fill(assignee);
    await page.getByRole('button', { name: '分办 / 改派' }).click();
    await page.getByText(`已将 1 件案件交由 ${assignee} 承办。`).waitFor();
    await cases.open(`handler=${assignee}`);
    assert.equal(await cases.total(), 1);
    assert.equal(await cases.rows().first().locator('td[data-label="编号"] a').innerText(), reference);
    assert.equal(await cases.rows().first().locator('td[data-label="承办人"]').innerText(), assignee);
    // 改派 to another handler.
    const other = `${assignee}b`;
    await cases.rows().first().getByRole('checkbox').check();
    await page.getByLabel('承办人（用户名）').fill(other);
    await page.getByRole('button', { name: '分办 / 改派' }).click();
    await page.getByText(`已将 1 件案件交由 ${other} 承办。`).waitFor();
    await cases.open(`handler=${assignee}`);
    assert.equal(await cases.total(), 0);
  });
});

test('督办 is the office\'s: backlog and reply charts, overdue cases across the agencies', async () => {
  await journey('supervision', async (page) => {
    await signIn(page, env('OGI_OFFICE'), env('OGI_OFFICE_PASSWORD'));
    await page.getByRole('link', { name: '督办' }).click();
    await page.getByRole('heading', { name: /督办/ }).waitFor();
    assert.equal(await page.locator('svg.chart').count(), 3, 'backlog, on-time share, days to reply');
    await page.getByRole('img', { name: '未办结案件按环节' }).waitFor();
    const overdue = Number(await page.locator('a.tile.late .n').innerText());
    await page.locator('a.tile.late').click();
    assert.equal(Number(await page.locator('#total').innerText()), overdue);
    // No script ran: the charts are drawn on the server.
    assert.equal(await page.locator('svg.chart script').count(), 0);
  });
  await journey('supervision-refused', async (page) => {
    await signIn(page, env('OGI_HANDLER'), env('OGI_HANDLER_NEW_PASSWORD'));
    assert.equal(await page.getByRole('link', { name: '督办' }).count(), 0);
    const response = await page.goto(`${base()}/supervision`);
    assert.equal(response.status(), 403);
    await page.getByText('您的角色没有督办权限').waitFor();
  });
});

test('at 400 px the case list is a column of labelled cards, with no sideways scrolling', async () => {
  await journey('narrow', async (page) => {
    await signIn(page, env('OGI_REGISTRAR'), env('OGI_REGISTRAR_PASSWORD'));
    const cases = new CasesPage(page);
    await cases.open();
    assert.equal(await page.locator('#case-table thead').isVisible(), false);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 400, `page is ${width} px wide`);
    const card = cases.rows().first();
    const box = await card.boundingBox();
    assert.ok(box.width <= 400);
    // Each cell a line of its own, labelled by its column (the label is drawn by CSS).
    const cell = card.locator('td[data-label="剩余工作日"]');
    assert.equal(await cell.evaluate((td) => getComputedStyle(td).display), 'block');
    assert.match(await cell.evaluate((td) => getComputedStyle(td, '::before').content), /剩余工作日/);
  }, { viewport: { width: 400, height: 800 } });
});

test('文书: the log of served letters opens each reply letter to print and as Word', async () => {
  await journey('letters', async (page) => {
    await signIn(page, env('OGI_REGISTRAR'), env('OGI_REGISTRAR_PASSWORD'));
    await page.getByRole('link', { name: '文书' }).click();
    await page.getByRole('heading', { name: /送达记录/ }).waitFor();
    assert.ok(Number(await page.locator('#total').innerText()) > 0);
    // Latest first.
    const dates = await page.locator('td[data-label="送达日期"]').allInnerTexts();
    assert.deepEqual([...dates].sort().reverse(), dates);
    const reference = await page.locator('td[data-label="编号"] a').first().innerText();
    await page.getByRole('link', { name: '打印' }).first().click();
    const letter = page.getByRole('article');
    await letter.getByRole('heading', { name: /答复书/ }).waitFor();
    assert.match(await letter.innerText(), /〔\d{4}〕\d+号/);
    // Printed, only the letter: no navigation, no links.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('header.top').isVisible(), false);
    assert.equal(await page.locator('.letter-tools').isVisible(), false);
    await page.emulateMedia({ media: 'screen' });
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /下载 Word/ }).click();
    const file = await download;
    assert.equal(file.suggestedFilename(), 'reply-letter.docx');
    const bytes = (await import('node:fs')).readFileSync(await file.path());
    assert.equal(bytes.subarray(0, 2).toString(), 'PK');
    // The case page links its letter.
    await page.getByRole('link', { name: '返回案件' }).click();
    await page.getByRole('heading', { name: new RegExp(reference) }).waitFor();
    await page.getByRole('link', { name: '答复书（打印）' }).waitFor();
  });
});
