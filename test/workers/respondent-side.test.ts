import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { contacts, touchpoints } from '../../src/db/schema';
import { TenantDb } from '../../src/db/tenant-db';
import { getSettings } from '../../src/settings/settings';
import worker from '../../src/worker';
import { fullSurvey, invitationState, makeInvitation, makeSurvey, send, type SurveySetup } from './capture-fixture';
import { providerSpace } from './provider';
import { call, db, makeTenant, uniq, type Fixture } from './support';

/**
 * The respondent side (issue 18 item 8, docs/survey.md "Branding", "Thank-you page" and
 * docs/delivery.md "The email"): the tenant's logo, colours and sender name on the survey page
 * and in emails, validated and audited; a thank-you line per category, the detractor's naming
 * the case's first-contact target; the HTML invitation with the 0–10 scale as links, sent
 * through the provider stand-in (a real HTTP server, test/provider-stub.ts).
 */
let t: Fixture;
let std: SurveySetup;
const admin = () => t.tokens.admin;
const patch = (body: unknown) => call('PATCH', '/api/v1/settings', { token: admin(), body });
const stored = () => getSettings(new TenantDb(db(), t.tenantId));

/** A 1×1 transparent PNG as a data URL. */
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

beforeAll(async () => {
  t = await makeTenant('Respondent');
  std = await makeSurvey(t.tenantId);
});

describe('branding settings', () => {
  it('sets logo, colours and sender name, shows them, audits the change; a field given null is removed', async () => {
    const res = await patch({ branding: { logoUrl: 'https://cdn.acme.test/logo.png', logoAlt: 'Acme', primaryColor: '#0b5394', backgroundColor: '#ffffff', senderName: 'Acme Care' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.branding).toEqual({ logoUrl: 'https://cdn.acme.test/logo.png', logoAlt: 'Acme', primaryColor: '#0b5394', backgroundColor: '#ffffff', senderName: 'Acme Care' });
    const audit = (await call('GET', `/api/v1/audit-log?targetType=tenant&targetId=${t.tenantId}&limit=50`, { token: admin() })).body.items as any[];
    // Added whole: the audit names the setting (as for a provider added); later changes name their fields.
    expect(audit.filter((a) => a.action === 'settings.update').map((a) => a.details.changed)).toContainEqual(['branding']);

    const merged = await patch({ branding: { logoAlt: null, logoUrl: PNG } });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    const after = (await call('GET', `/api/v1/audit-log?targetType=tenant&targetId=${t.tenantId}&limit=50`, { token: admin() })).body.items as any[];
    expect(after.filter((a) => a.action === 'settings.update').map((a) => [...a.details.changed].sort())).toContainEqual(['branding.logoAlt', 'branding.logoUrl']);
    expect(merged.body.branding).toEqual({ logoUrl: PNG, primaryColor: '#0b5394', backgroundColor: '#ffffff', senderName: 'Acme Care' });
    expect((await stored()).branding?.logoAlt).toBeUndefined();
  });

  it('refuses a logo that is not https or a small raster data URL, a colour not #rrggbb, a sender name with a quote: 400, nothing changed', async () => {
    const before = await stored();
    const bad: [unknown, string][] = [
      [{ logoUrl: 'http://cdn.acme.test/logo.png' }, 'body.branding.logoUrl'],
      [{ logoUrl: 'javascript:alert(1)' }, 'body.branding.logoUrl'],
      [{ logoUrl: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=' }, 'body.branding.logoUrl'],
      [{ logoUrl: `data:image/png;base64,${'A'.repeat(40_000)}` }, 'body.branding.logoUrl'],
      [{ primaryColor: 'blue' }, 'body.branding.primaryColor'],
      [{ primaryColor: '#12345' }, 'body.branding.primaryColor'],
      [{ senderName: 'Acme "Care"' }, 'body.branding.senderName'],
      [{ senderName: 'Acme\r\nBcc: x@evil.test' }, 'body.branding.senderName'],
      [{ unknown: 1 }, 'body.branding'],
    ];
    for (const [branding, path] of bad) {
      const res = await patch({ branding });
      expect(res.status, JSON.stringify(branding)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.map((d: { path: string }) => d.path).join(' ')).toContain(path);
    }
    expect(await stored()).toEqual(before);
  });

  it('refuses colours that cannot be read: 422 with the ratio, nothing changed', async () => {
    // WCAG 2.1 relative luminance L = 0.2126 R + 0.7152 G + 0.0722 B over linearised channels
    // (c/12.92 up to 0.04045, else ((c+0.055)/1.055)^2.4), contrast (L1+0.05)/(L2+0.05).
    // #767676: c = 118/255 = 0.4627 → ((0.4627+0.055)/1.055)^2.4 = 0.1812 = L; white on it
    // (1.05)/(0.2312) = 4.54 ≥ 4.5: accepted. #777777: c = 0.4667 → L = 0.1845; 1.05/0.2345 = 4.48 < 4.5: refused.
    const before = await stored();
    const grey = await patch({ branding: { primaryColor: '#777777', backgroundColor: '#ffffff' } });
    expect(grey.status).toBe(422);
    expect(grey.body.error.details).toEqual([{ path: 'body.branding.primaryColor', message: expect.stringContaining('4.48:1') }]);
    // The page's text #1b1f24 on a dark background: far below 4.5:1.
    const dark = await patch({ branding: { backgroundColor: '#333333' } });
    expect(dark.status).toBe(422);
    expect(dark.body.error.details.map((d: { path: string }) => d.path)).toContain('body.branding.backgroundColor');
    expect(await stored()).toEqual(before);
    const ok = await patch({ branding: { primaryColor: '#767676' } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await patch({ branding: { primaryColor: '#0b5394' } });
  });
});

describe("the survey page in the tenant's look", () => {
  it('shows the logo (its origin allowed by the CSP) and the colours; without branding neither', async () => {
    await patch({ branding: { logoUrl: 'https://cdn.acme.test/logo.png', logoAlt: 'Acme', primaryColor: '#0b5394', backgroundColor: '#ffffff' } });
    const inv = await makeInvitation(std, t.units.berlin);
    const res = await send('GET', inv.path);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<div class="brand"><img src="https://cdn.acme.test/logo.png" alt="Acme"></div>');
    expect(res.text).toContain('button{background:#0b5394}');
    expect(res.text).toContain('body{background:#ffffff}');
    expect(res.headers.get('content-security-policy')).toContain("img-src 'self' https://cdn.acme.test;");

    const plain = await makeTenant('RespondentPlain');
    const s = await makeSurvey(plain.tenantId);
    const other = await send('GET', (await makeInvitation(s, plain.units.berlin)).path);
    expect(other.text).not.toContain('class="brand"');
    expect(other.headers.get('content-security-policy')).toContain("img-src 'self';");
  });

  it('?score=N opens the page with that score chosen; anything else chooses nothing', async () => {
    const inv = await makeInvitation(std, t.units.berlin);
    const seven = await send('GET', `${inv.path}?score=7`);
    expect(seven.text).toMatch(/<input type="radio" id="nps-7" name="score" value="7" checked/);
    expect(seven.text.match(/ checked/g)).toHaveLength(1);
    for (const q of ['11', '-1', 'x', '07', '']) {
      const res = await send('GET', `${inv.path}?score=${q}`);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(' checked');
    }
    // Nothing is saved by opening the link (mail scanners open links).
    const again = await send('GET', inv.path);
    expect(again.text).toContain('name="score"');
  });
});

describe('the thank-you page per category', () => {
  const scoreOnly = () => {
    const def = fullSurvey();
    def.questions = def.questions.filter((q) => q.type === 'nps');
    def.translations.de = { ...def.translations.de!, 'thanks.promoter': 'Wunderbar, danke!' };
    return def;
  };
  let s: SurveySetup;
  beforeAll(async () => {
    s = await makeSurvey(t.tenantId, { definition: scoreOnly() });
  });
  const answer = async (score: number, headers: Record<string, string> = {}) => {
    const inv = await makeInvitation(s, t.units.berlin);
    const res = await send('POST', inv.path, { form: { score: String(score), step: '1', state: await invitationState(inv, { l: headers['accept-language'] ? 'de' : 'en' }) }, headers });
    expect(res.status, res.text).toBe(200);
    return { res, inv };
  };
  const line = (text: string) => /<p class="thanks" data-category="(\w+)">([^<]*)<\/p>/.exec(text);

  it("a detractor is told someone will contact them within the tenant's first-contact target", async () => {
    // The tenant's default first-contact target is 48 hours: 48 / 24 = 2 whole days.
    const { res, inv } = await answer(3);
    expect(line(res.text)?.slice(1)).toEqual(['detractor', 'We are sorry we let you down. Someone from our team will contact you within 2 days.']);
    // Opened again later: the target counted from the answer, so "soon".
    expect(line((await send('GET', inv.path)).text)?.[2]).toBe('We are sorry we let you down. Someone from our team will contact you soon.');
  });

  it("the touchpoint's target wins over the tenant's; a business calendar says business hours", async () => {
    await db()
      .update(touchpoints)
      .set({ rules: { firstContactHours: 36 } })
      .where(eq(touchpoints.id, s.touchpointId));
    expect(line((await answer(0)).res.text)?.[2]).toBe('We are sorry we let you down. Someone from our team will contact you within 36 hours.');
    const cal = await call('PUT', '/api/v1/case-settings', {
      token: admin(),
      body: { businessCalendar: { timezone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' } },
    });
    expect(cal.status, JSON.stringify(cal.body)).toBe(200);
    expect(line((await answer(6)).res.text)?.[2]).toBe('We are sorry we let you down. Someone from our team will contact you within 36 hours of business hours.');
    // German: the unit in German words.
    expect(line((await answer(2, { 'accept-language': 'de' })).res.text)?.[2]).toContain('innerhalb von 36 Stunden Geschäftszeit');
  });

  it("passives and promoters get their own words; a survey's own thanks.<category> replaces them", async () => {
    expect(line((await answer(7)).res.text)?.slice(1)).toEqual(['passive', 'Thank you. Your answer helps us see what would make us a 10 for you.']);
    expect(line((await answer(10)).res.text)?.slice(1)).toEqual(['promoter', 'Thank you! We are glad you would recommend us.']);
    expect(line((await answer(9, { 'accept-language': 'de' })).res.text)?.[2]).toBe('Wunderbar, danke!');
  });
});

describe('the HTML invitation email', () => {
  /** Delivers the message as the queue does (the Worker's queue handler). */
  async function deliver(invitationId: string) {
    const id = `msg-${uniq()}`;
    const batch = createMessageBatch('nps-delivery', [
      { id, timestamp: new Date(), attempts: 1, body: { type: 'invitation.send', tenantId: t.tenantId, invitationId, idempotencyKey: `invitation.send:${invitationId}` } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env as never);
    return (await getQueueResult(batch, ctx)).explicitAcks.includes(id);
  }

  it('greets by name, carries the logo and the 0–10 scale as links that open the page with the score chosen; the sender has its name; a plain-text part', async () => {
    const space = providerSpace();
    const res = await patch({
      email: { baseUrl: space.url, apiKey: `mail-key-${uniq()}${uniq()}`, from: 'surveys@acme.test' },
      branding: { logoUrl: 'https://cdn.acme.test/logo.png', logoAlt: 'Acme', primaryColor: '#0b5394', senderName: 'Acme Care' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const contactId = `con_${uniq()}`;
    await db()
      .insert(contacts)
      .values({
        id: contactId,
        tenantId: t.tenantId,
        externalId: `crm-${uniq()}`,
        email: `ana-${uniq()}@example.test`,
        attributes: { firstName: 'Ana' },
        createdAt: Date.now(),
        updatedAt: Date.now(),
      });
    const inv = await makeInvitation(std, t.units.berlin, { contactId, status: 'sent' });
    // The delivery consumer sends only a `sending` invitation: set it so, as the due scan would.
    await db().run(`update invitations set status = 'sending', sent_at = null where id = '${inv.id}'`);
    expect(await deliver(inv.id)).toBe(true);

    const [req, ...more] = (await space.requests()).filter((r) => r.path === '/messages');
    expect(more).toEqual([]);
    const body = JSON.parse(req!.body) as { from: string; to: string; subject: string; text: string; html: string };
    expect(body.from).toBe('"Acme Care" <surveys@acme.test>');
    const link = /https?:\/\/\S+\/s\/[\w.-]+/.exec(body.text)![0];
    // The plain-text part: the greeting, then the message with the link.
    expect(body.text.startsWith('Hello Ana,\n\n')).toBe(true);
    expect(body.text).toContain(link);
    // The HTML part: lang, the greeting, the question as a heading, the logo with its alt.
    expect(body.html).toMatch(/^<!doctype html><html lang="en" dir="ltr">/);
    expect(body.html).toContain('<p style="margin:0 0 16px">Hello Ana,</p>');
    expect(body.html).toContain('How likely are you to recommend Acme to a friend or colleague?</h1>');
    expect(body.html).toContain('<img src="https://cdn.acme.test/logo.png" alt="Acme"');
    // Eleven score links in order, each the survey link with ?score=N; the ends named with their labels.
    const hrefs = [...body.html.matchAll(/<a href="([^"]+)" aria-label="([^"]+)"/g)].map((m) => [m[1], m[2]]);
    expect(hrefs).toEqual(Array.from({ length: 11 }, (_, n) => [`${link}?score=${n}`, n === 0 ? '0 – Not at all likely' : n === 10 ? '10 – Extremely likely' : String(n)]));
    expect(body.html).toContain('background:#0b5394');
    expect(body.html.match(/role="presentation"/g)).toHaveLength(2);
    // And the plain link for clients that do not show the buttons.
    expect(body.html).toContain(`<a href="${link}" style="color:#0b5394">${link}</a>`);

    // A score link opens the page with that score chosen.
    const path = new URL(`${link}?score=4`).pathname + '?score=4';
    const page = await send('GET', path);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/id="nps-4" name="score" value="4" checked/);
  });
});
