// Real-browser journeys through the ogi console: playwright-core driving Debian's chromium.
// Run by tests/tests/console_browser.rs, which starts a fresh `ogi dev` with the demo cases
// and makes the users with `ogi admin user add`, then passes:
//   OGI_CONSOLE_URL; OGI_CASE_HANDLER, OGI_CASE_APPROVER, OGI_CASE_OFFICE (users of the demo
//   agency) and OGI_CASE_OTHER (a handler of another agency), each with _PASSWORD, an initial
//   password the journey changes at first sign-in; OGI_FIXTURE_REFERENCE (a demo case);
//   OGI_SCREENSHOTS (where a failing journey leaves its screenshot; with
//   OGI_SCREENSHOTS_ALL=1 every screen visited is saved there too).
// The journeys run in order (node --test runs a file's tests one after another): later ones
// use what earlier ones made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = () => env('OGI_CONSOLE_URL');
// Generous for a busy machine; a step that never comes still fails.
const WAIT = 20_000;

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.OGI_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

// Passwords as the journeys changed them.
const passwords = new Map();
const newPassword = (user) => `${env(`OGI_CASE_${user}_PASSWORD`)}-Changed9`;

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

/// Sign `user` (HANDLER, APPROVER, OFFICE, OTHER) in; the first time, change the initial
/// password as the console demands. Ends on the 工作台.
async function signIn(page, user) {
  const login = new LoginPage(page);
  await login.open();
  const username = env(`OGI_CASE_${user}`);
  if (passwords.has(user)) {
    await login.signIn(username, passwords.get(user));
  } else {
    await login.signIn(username, env(`OGI_CASE_${user}_PASSWORD`));
    await page.getByRole('heading', { name: '修改密码' }).waitFor();
    await shot(page, `password-${user.toLowerCase()}`);
    await login.changePassword(env(`OGI_CASE_${user}_PASSWORD`), newPassword(user));
    passwords.set(user, newPassword(user));
  }
  await page.getByRole('heading', { name: '工作台' }).waitFor();
}

class CasesPage {
  constructor(page) { this.page = page; }
  async open() { await this.page.getByRole('link', { name: '案件列表' }).click(); }
  async search(text) {
    await this.page.getByLabel('搜索', { exact: true }).fill(text);
    await this.page.getByRole('button', { name: '搜索' }).click();
  }
  rows() { return this.page.locator('#case-table tbody tr'); }
}

class CasePage {
  constructor(page) { this.page = page; }
  form(step) { return this.page.locator('form.step', { has: this.page.locator('legend', { hasText: new RegExp(`^${step}$`) }) }); }
  /// The due date the form says the step will give, before it is saved.
  async preview(step) {
    const p = this.form(step).locator('.preview');
    await p.filter({ hasText: '保存后' }).waitFor({ timeout: WAIT });
    return p.innerText();
  }
  async take(step, fill = async () => {}) {
    const form = this.form(step);
    await form.waitFor({ timeout: WAIT });
    await fill(form);
    await form.getByRole('button', { name: step }).click();
    await this.page.getByRole('status').filter({ hasText: `已保存：${step}` }).waitFor({ timeout: WAIT });
  }
  /// Steps of one service show once the next service has the case: reload until `step` is offered.
  async waitForStep(step) {
    const deadline = Date.now() + WAIT;
    while (!(await this.form(step).count())) {
      assert.ok(Date.now() < deadline, `step ${step} never offered`);
      await this.page.waitForTimeout(250);
      await this.page.reload();
    }
  }
  stage() { return this.page.locator('h1 .stage').innerText(); }
}

/// A journey in its own browser context; on failure it leaves a screenshot.
async function journey(name, body) {
  const context = await browser.newContext({ locale: 'zh-CN', acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  try {
    await body(page);
  } catch (e) {
    const dir = process.env.OGI_SCREENSHOTS;
    if (dir) await page.screenshot({ path: `${dir}/${name}-failed.png`, fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

/// With OGI_SCREENSHOTS_ALL=1, every screen the journeys visit, for a person to look at.
async function shot(page, name) {
  if (process.env.OGI_SCREENSHOTS_ALL === '1' && process.env.OGI_SCREENSHOTS) {
    await page.screenshot({ path: `${process.env.OGI_SCREENSHOTS}/${name}.png`, fullPage: true });
  }
}

/// Text a user must never read: raw codes.
async function assertNoRawCodes(page) {
  const text = await page.locator('main').innerText();
  for (const code of ['natural_person', 'partially_disclosed', 'in_progress', 'awaiting_correction', 'third_party', 'undefined']) {
    assert.ok(!text.includes(code), `raw code ${code} shown`);
  }
}

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

// What the handler registers and takes through to a served reply.
const newCase = { url: '', reference: '' };

test('a new handler changes the initial password, finds a demo case by reference and opens its history', async () => {
  await journey('find-a-case', async (page) => {
    await signIn(page, 'HANDLER');
    await shot(page, 'workbench');
    const cases = new CasesPage(page);
    await cases.open();
    await cases.search(env('OGI_FIXTURE_REFERENCE'));
    await cases.rows().first().waitFor();
    assert.equal(await cases.rows().count(), 1);
    await shot(page, 'cases-search');
    await cases.rows().first().getByRole('link').first().click();
    await page.getByRole('heading', { name: new RegExp(env('OGI_FIXTURE_REFERENCE')) }).waitFor();
    const history = page.locator('section', { hasText: '办理经过' }).locator('tbody tr');
    assert.ok(await history.count() > 0, 'the case history has rows');
    assert.match(await history.first().locator('time').innerText(), /^\d{4}-\d{2}-\d{2}$/);
    await shot(page, 'case-fixture');
    await assertNoRawCodes(page);
  });
});

test('the handler registers an application and takes it through correction, extension and draft, the due date shown before each save', async () => {
  await journey('register-to-draft', async (page) => {
    await signIn(page, 'HANDLER');
    await page.getByRole('link', { name: '登记' }).click();
    await page.getByLabel('姓名或名称').fill('王建华');
    await page.getByLabel('证件号码').fill('510904198507120038');
    await page.locator('#id-check').filter({ hasText: '校验通过' }).waitFor();
    await page.getByLabel('联系电话').fill('13800000017');
    await page.getByLabel(/所需政府信息/).fill('申请公开2025年安居区老旧小区改造项目资金使用明细');
    await shot(page, 'register');
    await page.getByRole('button', { name: '登记' }).click();
    await page.getByRole('status').filter({ hasText: '已保存：登记' }).waitFor();
    const receipt = await page.locator('dt:text-is("回执编号") + dd').innerText();
    assert.ok(receipt.trim().length > 0, 'a receipt number');
    newCase.url = page.url();
    newCase.reference = (await page.locator('dt:text-is("编号") + dd').innerText()).trim();
    const c = new CasePage(page);
    assert.equal(await c.stage(), '待受理');
    await shot(page, 'case-registered');

    // 补正通知: the clock stops until the corrected application arrives.
    await c.take('补正通知', async (f) => {
      await f.getByLabel('补正事项（每行一项）').fill('请明确所需信息的具体项目名称');
    });
    assert.equal(await c.stage(), '补正中');
    // 收到补正: the reply period restarts; the form says the new due date before saving.
    const restarted = await c.preview('收到补正');
    assert.match(restarted, /保存后答复期限：\d{4}-\d{2}-\d{2}/);
    await shot(page, 'case-correction-preview');
    await c.take('收到补正');
    await c.waitForStep('延期答复');
    const due = (await page.locator('.due').innerText()).match(/\d{4}-\d{2}-\d{2}/)[0];
    assert.ok(restarted.includes(due), `preview ${restarted} said the due date ${due} it got`);

    // 延期答复 by 20 working days: the preview names the later date, which the case then has.
    const extended = await c.preview('延期答复');
    const after = extended.match(/保存后答复期限：(\d{4}-\d{2}-\d{2})/)[1];
    assert.ok(after > due, `extension moves ${due} to ${after}`);
    await shot(page, 'case-extension-preview');
    await c.take('延期答复', async (f) => {
      await f.getByLabel(/批准人/).fill('李主任');
      await f.getByLabel('延期理由').fill('需要调取多个部门的资料');
    });
    assert.ok((await page.locator('.due').innerText()).includes(after));
    // The explanation names the extension.
    await page.locator('#deadline').getByText('计算说明').click();
    assert.match(await page.locator('#deadline ol.steps').innerText(), /延/);

    await c.take('拟稿并提交审批', async (f) => {
      await f.getByLabel('办理结果').selectOption({ label: '予以公开' });
      await f.getByLabel('法律依据').fill('第二十七条');
      await f.getByLabel('答复要点').fill('经查，您申请的信息属于公开范围，现予提供。');
    });
    assert.equal(await c.stage(), '待审批');
    // The handler may not approve what they drafted: no approval step for them.
    assert.equal(await c.form('审批通过').count(), 0);
    await shot(page, 'case-drafted');
    await assertNoRawCodes(page);
  });
});

test('the handler accepts a second application (受理), the form naming its due date first; it stays in progress', async () => {
  await journey('accept', async (page) => {
    await signIn(page, 'HANDLER');
    await page.getByRole('link', { name: '登记' }).click();
    await page.getByLabel('姓名或名称').fill('李秀英');
    await page.getByLabel('证件号码').fill('510904198507120038');
    await page.getByLabel(/所需政府信息/).fill('申请公开2026年安居区城区道路维修工程招标文件');
    await page.getByRole('button', { name: '登记' }).click();
    await page.getByRole('status').filter({ hasText: '已保存：登记' }).waitFor();
    const c = new CasePage(page);
    const preview = await c.preview('受理');
    const due = preview.match(/保存后答复期限：(\d{4}-\d{2}-\d{2})/)[1];
    await shot(page, 'case-accept-preview');
    await c.take('受理');
    await c.waitForStep('延期答复');
    assert.equal(await c.stage(), '办理中');
    assert.ok((await page.locator('.due').innerText()).includes(due), `accepted with the due date ${due} the form named`);
  });
});

test('the approver approves the draft from the 审批箱, seeing its age and the draft letter', async () => {
  await journey('approver-inbox', async (page) => {
    await signIn(page, 'APPROVER');
    await page.getByRole('link', { name: '审批箱' }).click();
    await page.getByRole('heading', { name: '审批箱' }).waitFor();
    const item = page.locator('article.pending', { hasText: newCase.reference });
    await item.waitFor();
    assert.match(await item.innerText(), /已等待\s*\d+\s*天/);
    assert.match(await item.locator('blockquote').innerText(), /现予提供/);
    await shot(page, 'inbox');
    await item.getByRole('button', { name: '审批通过' }).click();
    await page.getByRole('status').filter({ hasText: '已审批通过' }).waitFor();
    assert.equal(await page.locator('article.pending', { hasText: newCase.reference }).count(), 0);
    await shot(page, 'inbox-after');
  });
});

test('the handler serves the approved reply and the case shows the letter', async () => {
  await journey('serve', async (page) => {
    await signIn(page, 'HANDLER');
    await page.goto(newCase.url);
    const c = new CasePage(page);
    await c.waitForStep('送达');
    await c.take('送达', async (f) => {
      await f.getByLabel('送达方式').selectOption({ label: '电子邮件' });
    });
    const deadline = Date.now() + WAIT;
    while ((await c.stage()) !== '已办结') {
      assert.ok(Date.now() < deadline, 'the served case never closed');
      await page.waitForTimeout(250);
      await page.reload();
    }
    const letter = page.locator('section', { has: page.getByRole('heading', { name: '答复书' }) });
    assert.match(await letter.innerText(), /现予提供/);
    assert.match(await letter.innerText(), /送达/);
    await shot(page, 'case-served');
    await assertNoRawCodes(page);
  });
});

test('the office reads the annual report with its checks, enters table 二 and section 五, downloads it and locks it', async () => {
  await journey('annual-report', async (page) => {
    await signIn(page, 'OFFICE');
    await page.getByRole('link', { name: '年度报告' }).click();
    await page.getByLabel('年度').fill('2024');
    await page.getByRole('button', { name: '查看' }).click();
    await page.getByRole('heading', { name: /2024年度/ }).waitFor();
    assert.match(await page.locator('main').innerText(), /三、收到和处理政府信息公开申请情况/);
    assert.match(await page.locator('#checks').innerText(), /勾稽关系/);
    await shot(page, 'report');

    await page.getByLabel('行政许可（件）').fill('40069');
    await page.getByRole('button', { name: '保存表二' }).click();
    await page.getByRole('status').filter({ hasText: '已保存' }).waitFor();
    assert.match(await page.locator('.report').innerText(), /40069/);

    for (const [name, ending] of [['下载 HTML', '.html'], ['下载 Word（.docx）', '.docx'], ['下载 Excel（.xlsx）', '.xlsx']]) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name }).click(),
      ]);
      assert.ok(download.suggestedFilename().endsWith(ending), download.suggestedFilename());
      const path = await download.path();
      assert.ok(statSync(path).size > 1000, `${name}: ${statSync(path).size} bytes`);
      const head = readFileSync(path).subarray(0, 2).toString();
      assert.equal(head === 'PK', ending !== '.html', `${name} starts with ${head}`);
    }

    // Section 五 in the office's words, then the lock: the figures are frozen as published.
    await page.getByLabel('五、存在的主要问题及改进情况').fill('依申请公开答复文书的说理还需加强。');
    await page.getByRole('button', { name: '保存文字部分' }).click();
    await page.getByRole('status').filter({ hasText: '已保存第五、六部分' }).waitFor();
    assert.match(await page.locator('.report').innerText(), /答复文书的说理还需加强/);
    // The form keeps what was entered, so the next save does not drop it.
    assert.equal(await page.getByLabel('五、存在的主要问题及改进情况').inputValue(), '依申请公开答复文书的说理还需加强。');
    await page.getByRole('button', { name: '锁定报告' }).click();
    await page.getByRole('status').filter({ hasText: '已锁定报告' }).waitFor();
    assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /已锁定/);
    assert.equal(await page.getByRole('button', { name: '保存表二' }).count(), 0, 'a locked report takes no entries');
    await shot(page, 'report-locked');
  });
});

test('a handler of another agency never finds the demo agency\'s cases', async () => {
  await journey('other-agency', async (page) => {
    await signIn(page, 'OTHER');
    const cases = new CasesPage(page);
    for (const reference of [env('OGI_FIXTURE_REFERENCE'), newCase.reference]) {
      await cases.open();
      await cases.search(reference);
      await page.getByText('没有符合条件的案件。').waitFor();
      assert.equal(await cases.rows().count(), 0);
    }
    // Nor by its address.
    const response = await page.goto(newCase.url);
    assert.equal(response.status(), 403);
    assert.match(await page.locator('main').innerText(), /无权/);
    await shot(page, 'other-agency-denied');
  });
});

test('five wrong passwords lock the account and the page says so', async () => {
  await journey('lockout', async (page) => {
    const login = new LoginPage(page);
    await login.open();
    for (let i = 0; i < 5; i++) {
      await login.signIn(env('OGI_CASE_OTHER'), 'wrong-password-1A!');
      await login.alert().waitFor();
    }
    // Even the right password is refused now, and the message says the account is locked.
    await login.signIn(env('OGI_CASE_OTHER'), passwords.get('OTHER'));
    await login.alert().waitFor();
    assert.match(await login.alert().innerText(), /锁定/);
    await shot(page, 'locked');
  });
});

test('signing out ends the session', async () => {
  await journey('sign-out', async (page) => {
    await signIn(page, 'HANDLER');
    await page.getByRole('button', { name: '退出' }).click();
    await page.getByText('已退出登录。').waitFor();
    await page.goto(`${base()}/cases`);
    await page.getByRole('heading', { name: '登录' }).waitFor();
  });
});
