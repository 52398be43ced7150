// Real-browser journeys through the ogi console: playwright-core driving Debian's chromium.
// Run by tests/tests/console_browser.rs, which starts the system and passes:
//   OGI_CONSOLE_URL, OGI_HANDLER / OGI_HANDLER_PASSWORD (a handler of the demo agency, whose
//   initial password must be changed: OGI_HANDLER_NEW_PASSWORD), OGI_OTHER / OGI_OTHER_PASSWORD
//   (a handler of another agency, password already changed), OGI_FIXTURE_REFERENCE (a demo
//   case's reference), OGI_SCREENSHOTS (where a failing journey leaves its screenshot).
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

// One page object per screen.
class LoginPage {
  constructor(page) { this.page = page; }
  async open() { await this.page.goto(`${base()}/login`); }
  async signIn(username, password) {
    await this.page.getByLabel('用户名').fill(username);
    await this.page.getByLabel('密码', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: '登录' }).click();
  }
  async changePassword(current, next) {
    await this.page.getByLabel('当前密码').fill(current);
    await this.page.getByLabel('新密码', { exact: true }).fill(next);
    await this.page.getByLabel('确认新密码').fill(next);
    await this.page.getByRole('button', { name: '修改密码并登录' }).click();
  }
  alert() { return this.page.getByRole('alert'); }
}

class CasesPage {
  constructor(page) { this.page = page; }
  async open() { await this.page.goto(`${base()}/cases`); }
  async search(text) {
    await this.page.getByLabel('搜索', { exact: true }).fill(text);
    await this.page.getByRole('button', { name: '搜索' }).click();
  }
  rows() { return this.page.locator('#case-table tbody tr'); }
}

/// A journey in its own context; on failure it leaves a screenshot.
async function journey(name, body) {
  const context = await browser.newContext({ locale: 'zh-CN' });
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

test('a new handler changes the initial password, finds a demo case by reference and opens it', async () => {
  await journey('find-a-case', async (page) => {
    const login = new LoginPage(page);
    await login.open();
    await login.signIn(env('OGI_HANDLER'), env('OGI_HANDLER_PASSWORD'));
    await page.getByRole('heading', { name: '修改密码' }).waitFor();
    await login.changePassword(env('OGI_HANDLER_PASSWORD'), env('OGI_HANDLER_NEW_PASSWORD'));
    await page.getByRole('heading', { name: '工作台' }).waitFor();

    const cases = new CasesPage(page);
    await cases.open();
    await cases.search(env('OGI_FIXTURE_REFERENCE'));
    await assert.doesNotReject(cases.rows().first().waitFor());
    assert.equal(await cases.rows().count(), 1);
    await cases.rows().first().getByRole('link').click();
    await page.getByRole('heading', { name: new RegExp(env('OGI_FIXTURE_REFERENCE')) }).waitFor();
    // Its history, with dates, and the deadline section.
    const history = page.locator('section', { hasText: '办理经过' }).locator('tbody tr');
    assert.ok(await history.count() > 0, 'the case history has rows');
    assert.match(await history.first().locator('time').innerText(), /^\d{4}-\d{2}-\d{2}$/);
    // No raw codes on the page.
    const text = await page.locator('main').innerText();
    for (const code of ['natural_person', 'online', 'partially_disclosed', 'in_progress']) {
      assert.ok(!text.includes(code), `raw code ${code} shown`);
    }
  });
});

test('a handler of another agency never finds the demo agency\'s cases', async () => {
  await journey('other-agency', async (page) => {
    const login = new LoginPage(page);
    await login.open();
    await login.signIn(env('OGI_OTHER'), env('OGI_OTHER_PASSWORD'));
    await page.getByRole('heading', { name: '工作台' }).waitFor();
    const cases = new CasesPage(page);
    await cases.open();
    await cases.search(env('OGI_FIXTURE_REFERENCE'));
    await page.getByText('没有符合条件的案件。').waitFor();
    assert.equal(await cases.rows().count(), 0);
  });
});

test('five wrong passwords lock the account and the page says so', async () => {
  await journey('lockout', async (page) => {
    const login = new LoginPage(page);
    await login.open();
    for (let i = 0; i < 5; i++) {
      await login.signIn(env('OGI_OTHER'), 'wrong-password-1A!');
      await login.alert().waitFor();
    }
    // Even the right password is refused now, and the message says the account is locked.
    await login.signIn(env('OGI_OTHER'), env('OGI_OTHER_PASSWORD'));
    await login.alert().waitFor();
    assert.match(await login.alert().innerText(), /锁定/);
  });
});

test('signing out ends the session', async () => {
  await journey('sign-out', async (page) => {
    const login = new LoginPage(page);
    await login.open();
    await login.signIn(env('OGI_HANDLER'), env('OGI_HANDLER_NEW_PASSWORD'));
    await page.getByRole('heading', { name: '工作台' }).waitFor();
    await page.getByRole('button', { name: '退出' }).click();
    await page.getByText('已退出登录。').waitFor();
    await page.goto(`${base()}/cases`);
    await page.getByRole('heading', { name: '登录' }).waitFor();
  });
});
