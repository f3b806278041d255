// The data of `npm run bench`: one tenant with regions and sites, a published survey,
// touchpoints, contacts, and answers with a realistic spread (site volume, growth over time,
// weekdays, business hours, score mix per site, touchpoint, channel, segment, locale, lifetime
// value, quality flags, skipped scores). Bulk rows are written straight into the database file
// with large multi-row inserts: that is setup, not a measurement, and it bypasses the server's
// counters on purpose.
import { eq } from 'drizzle-orm';
import Database from 'libsql';
import { commit, openDb } from '../src/db/client';
import { surveys, surveyVersions, tenants, touchpoints, units } from '../src/db/schema';
import { createTenant } from '../src/org/tenants';
import type { Definition } from '../src/surveys/definition';
import { standardSurvey } from '../src/surveys/templates';

export const DAY_MS = 86_400_000;

/** mulberry32: a small seeded PRNG, so every run loads the same answers. */
export class Rng {
  constructor(private s: number) {}
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** An index drawn by the given cumulative weights (last = total). */
  weighted(cumulative: Float64Array | number[]): number {
    const x = this.next() * cumulative[cumulative.length - 1]!;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }
}

const cumulative = (weights: number[]) => {
  const out = new Float64Array(weights.length);
  weights.reduce((sum, w, i) => (out[i] = sum + w), 0);
  return out;
};

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** An id of src/lib/ids.ts's shape (`rsp_` + 10 time chars + 16 random), for a given time. */
export function idAt(prefix: string, ms: number, rng: Rng): string {
  let time = ms;
  const out: string[] = new Array(26);
  for (let i = 9; i >= 0; i--) {
    out[i] = ALPHABET[time % 32]!;
    time = Math.floor(time / 32);
  }
  for (let i = 10; i < 26; i++) out[i] = ALPHABET[rng.int(32)]!;
  return `${prefix}_${out.join('')}`;
}

const hex64 = (rng: Rng) => {
  let s = '';
  for (let i = 0; i < 8; i++)
    s += Math.floor(rng.next() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s;
};

/** Regions: time zone, its standard UTC offset in hours (for business hours), contacts' language. */
export const REGIONS = [
  { name: 'Germany', tz: 'Europe/Berlin', offset: 1, lang: 'de' },
  { name: 'United Kingdom', tz: 'Europe/London', offset: 0, lang: 'en' },
  { name: 'France', tz: 'Europe/Paris', offset: 1, lang: 'fr' },
  { name: 'US East', tz: 'America/New_York', offset: -5, lang: 'en' },
  { name: 'US Central', tz: 'America/Chicago', offset: -6, lang: 'en' },
  { name: 'US West', tz: 'America/Los_Angeles', offset: -8, lang: 'en' },
  { name: 'Brazil', tz: 'America/Sao_Paulo', offset: -3, lang: 'pt' },
  { name: 'Japan', tz: 'Asia/Tokyo', offset: 9, lang: 'ja' },
  { name: 'Singapore', tz: 'Asia/Singapore', offset: 8, lang: 'en' },
  { name: 'Australia', tz: 'Australia/Sydney', offset: 10, lang: 'en' },
] as const;

const SEGMENTS = ['smb', 'mid_market', 'enterprise', 'public_sector'] as const;
const SEGMENT_WEIGHTS = cumulative([50, 28, 15, 7]);
/** Median lifetime value per segment (log-normal around it). */
const SEGMENT_LTV: Record<string, number> = { smb: 1_200, mid_market: 9_000, enterprise: 60_000, public_sector: 25_000 };

/** Touchpoints: share of answers, and the channels answers come through with their shares. */
export const TOUCHPOINTS = [
  {
    key: 'support-resolution',
    name: 'Support ticket resolved',
    kind: 'support_resolution',
    share: 50,
    channels: [
      ['email', 75],
      ['sms', 25],
    ],
  },
  {
    key: 'site-visit',
    name: 'Technician site visit',
    kind: 'site_visit',
    share: 35,
    channels: [
      ['sms', 50],
      ['link', 30],
      ['email', 20],
    ],
  },
  {
    key: 'invoice',
    name: 'Invoice paid',
    kind: 'invoice',
    share: 15,
    channels: [
      ['email', 85],
      ['link', 15],
    ],
  },
] as const;

const COMMENTS = {
  promoter: ['Fast and friendly, thank you!', 'The technician was excellent.', 'Problem solved on the first call.', 'Great service as always.'],
  passive: ['Okay, but it took a while.', 'Fine overall, the scheduling could be better.', 'Good fix, slow response.'],
  detractor: ['Nobody called back.', 'The issue came back a day later.', 'Far too slow and expensive.', 'Technician arrived late and unprepared.'],
} as const;

export interface Org {
  tenantId: string;
  rootId: string;
  rootPath: string;
  adminEmail: string;
  adminPassword: string;
  regions: { id: string; name: string; tz: string; offset: number; lang: string }[];
  sites: { id: string; region: number; quality: number }[];
  siteWeights: Float64Array;
  /** Vendor units (beside the regions) that perform some of the sites' jobs (docs/dimensions.md). */
  vendors: string[];
  surveyId: string;
  touchpoints: { id: string; key: string }[];
  /** The contacts, with the attributes their answers keep (set by `contactRow`). */
  contacts: { id: string; segment: string; ltv: number; lang: string; email: string; tenureMonths?: number; contractSize?: string; supportTier?: string }[];
}

/** The bench survey: the standard one, with French texts too (copied from English). */
function benchSurvey(): Definition {
  const d = standardSurvey('Bench Field Services');
  return { ...d, translations: { ...d.translations, fr: { ...d.translations.en! } } };
}

const RESPONSE_LOCALES = new Set(['en', 'de', 'fr']);

/** Tenant, root, regions and sites, survey and touchpoints through the server; contacts straight into the file. */
export async function setupOrg(libsqlUrl: string, file: string, opts: { sites: number; contacts: number; regions?: number; accounts?: number }, rng: Rng): Promise<Org> {
  const db = openDb(libsqlUrl);
  const adminEmail = 'admin@bench.test';
  const adminPassword = 'bench-pass-1234';
  const tenant = await createTenant(db, { name: 'Bench Field Services', adminEmail, adminPassword, timezone: 'UTC' });
  const now = Date.now();
  // More than ten regions (`--scale`) reuse the ten time zones, each name numbered.
  const regionCount = opts.regions ?? REGIONS.length;
  const regions = Array.from({ length: regionCount }, (_, i) => {
    const r = REGIONS[i % REGIONS.length]!;
    return { ...r, name: regionCount > REGIONS.length ? `${r.name} ${Math.floor(i / REGIONS.length) + 1}` : r.name, id: idAt('unit', now, rng) };
  });
  const sites = Array.from({ length: opts.sites }, (_, i) => ({ id: idAt('unit', now, rng), region: i % regions.length, quality: Math.max(-0.25, Math.min(0.25, rng.normal() * 0.1)) }));
  // Busy and quiet sites: Zipf-like volumes, shuffled across regions by the site order above.
  const siteWeights = cumulative(sites.map((_, i) => 1 / (1 + ((i * 7919) % sites.length)) ** 0.6));
  const surveyId = idAt('srv', now, rng);
  const definition = benchSurvey() as unknown as Record<string, unknown>;
  const tps = TOUCHPOINTS.map((t) => ({ id: idAt('tp', now, rng), key: t.key }));
  // Ids from the root's, not drawn from `rng` (that would change every other figure's data).
  const vendors = ['a', 'b', 'c'].map((x) => `${tenant.rootUnitId}_vendor_${x}`);
  const unitRows = [
    ...vendors.map((id, i) => ({
      id,
      tenantId: tenant.tenantId,
      parentId: tenant.rootUnitId,
      name: `Vendor ${'ABC'[i]}`,
      kind: 'vendor' as const,
      path: `${tenant.rootPath}${id}/`,
      timezone: 'UTC',
      createdAt: now,
      updatedAt: now,
    })),
    ...regions.map((r) => ({
      id: r.id,
      tenantId: tenant.tenantId,
      parentId: tenant.rootUnitId,
      name: r.name,
      kind: 'region' as const,
      path: `${tenant.rootPath}${r.id}/`,
      timezone: r.tz,
      createdAt: now,
      updatedAt: now,
    })),
    ...sites.map((s, i) => {
      const r = regions[s.region]!;
      return {
        id: s.id,
        tenantId: tenant.tenantId,
        parentId: r.id,
        name: `${r.name} site ${String(i + 1).padStart(3, '0')}`,
        kind: 'site' as const,
        path: `${tenant.rootPath}${r.id}/${s.id}/`,
        timezone: r.tz,
        createdAt: now,
        updatedAt: now,
      };
    }),
  ];
  const statements = [];
  for (let i = 0; i < unitRows.length; i += 100) statements.push(db.insert(units).values(unitRows.slice(i, i + 100)));
  statements.push(
    db.insert(surveys).values({ id: surveyId, tenantId: tenant.tenantId, name: 'Service NPS', defaultLocale: 'en', draft: definition, publishedVersion: 1, createdAt: now, updatedAt: now }),
    db.insert(surveyVersions).values({ id: idAt('srv_v', now, rng), tenantId: tenant.tenantId, surveyId, version: 1, definition, publishedBy: tenant.adminUserId, createdAt: now }),
    ...TOUCHPOINTS.map((t, i) =>
      db.insert(touchpoints).values({
        id: tps[i]!.id,
        tenantId: tenant.tenantId,
        key: t.key,
        name: t.name,
        kind: t.kind,
        surveyId,
        channels: t.channels.map(([c]) => c).filter((c) => c !== 'link') as ('email' | 'sms')[],
        delayMinutes: 0,
        reminderAfterDays: null,
        rules: {},
        active: true,
        createdAt: now,
        updatedAt: now,
      }),
    ),
    db
      .update(tenants)
      .set({ settings: { minResponses: 30, populationShares: { smb: 0.55, mid_market: 0.25, enterprise: 0.12, public_sector: 0.08 } } })
      .where(eq(tenants.id, tenant.tenantId)),
  );
  await commit(db, statements);

  const contacts: Org['contacts'] = [];
  const rows: unknown[][] = [];
  for (let i = 0; i < opts.contacts; i++) {
    const segment = SEGMENTS[rng.weighted(SEGMENT_WEIGHTS)]!;
    const ltv = Math.round(SEGMENT_LTV[segment]! * Math.exp(rng.normal() * 0.8));
    const lang = regions[sites[rng.int(sites.length)]!.region]!.lang;
    const c = { id: idAt('ct', now - DAY_MS * 800, rng), segment, ltv, lang, email: `customer${i}@example.test` };
    contacts.push(c);
    rows.push(contactRow(tenant.tenantId, c, `crm-${i}`, now, rng, opts.accounts));
  }
  insertRows(file, 'contacts', CONTACT_COLUMNS, rows);
  return { tenantId: tenant.tenantId, rootId: tenant.rootUnitId, rootPath: tenant.rootPath, adminEmail, adminPassword, regions, sites, siteWeights, vendors, surveyId, touchpoints: tps, contacts };
}

const CONTACT_COLUMNS = [
  'id',
  'tenant_id',
  'external_id',
  'email',
  'phone',
  'locale',
  'segment',
  'lifetime_value',
  'tenure_months',
  'contract_size',
  'support_tier',
  'account_id',
  'is_employee',
  'is_test',
  'opted_out_at',
  'attributes',
  'created_at',
  'updated_at',
];

/** Contacts name one of `accounts` accounts (`acct-<n>`) by external id. */
function contactRow(tenantId: string, c: Org['contacts'][number], externalId: string, now: number, rng: Rng, accounts = 20_000): unknown[] {
  const tiers = ['basic', 'standard', 'premium'];
  const phone = `+4930${String(1_000_000 + rng.int(8_999_999))}`;
  c.tenureMonths = rng.int(120);
  c.contractSize = c.ltv > 20_000 ? 'large' : c.ltv > 5_000 ? 'medium' : 'small';
  c.supportTier = rng.pick(tiers);
  return [c.id, tenantId, externalId, c.email, phone, c.lang, c.segment, c.ltv, c.tenureMonths, c.contractSize, c.supportTier, `acct-${rng.int(accounts)}`, 0, 0, null, '{}', now, now];
}

/** Contacts for the end-to-end count: never invited, reachable by email. */
export function insertFreshContacts(file: string, org: Org, n: number, prefix: string, rng: Rng): string[] {
  const now = Date.now();
  const ids: string[] = [];
  const rows = Array.from({ length: n }, (_, i) => {
    const segment = SEGMENTS[rng.weighted(SEGMENT_WEIGHTS)]!;
    const c = { id: idAt('ct', now, rng), segment, ltv: Math.round(SEGMENT_LTV[segment]! * Math.exp(rng.normal() * 0.8)), lang: 'en', email: `${prefix}${i}@example.test` };
    ids.push(`${prefix}${i}`);
    return contactRow(org.tenantId, c, `${prefix}${i}`, now, rng);
  });
  insertRows(file, 'contacts', CONTACT_COLUMNS, rows);
  return ids;
}

/**
 * Runs `work` on a connection of its own to the database file, closed afterwards. The `libsql`
 * package leaves a statement run with `.run()` unfinished, which keeps its connection's read
 * snapshot open: a long-lived connection that writes would then stop seeing the Worker's writes.
 */
export function withWriter<T>(path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    db.exec('PRAGMA busy_timeout = 60000');
    return work(db);
  } finally {
    db.close();
  }
}

/** Multi-row INSERTs of up to `perStatement` rows, in transactions of up to 50,000 rows. */
export function insertRows(path: string, table: string, columns: string[], rows: unknown[][], perStatement = 400): void {
  withWriter(path, (file) => insertWith(file, table, columns, rows, perStatement));
}

function insertWith(file: Database.Database, table: string, columns: string[], rows: unknown[][], perStatement: number): void {
  const placeholder = `(${columns.map(() => '?').join(',')})`;
  const statements = new Map<number, Database.Statement>();
  const statement = (n: number) => {
    let s = statements.get(n);
    if (!s) statements.set(n, (s = file.prepare(`insert into ${table} (${columns.join(',')}) values ${Array(n).fill(placeholder).join(',')}`)));
    return s;
  };
  for (let t = 0; t < rows.length; t += 50_000) {
    const chunk = rows.slice(t, t + 50_000);
    file.transaction(() => {
      for (let i = 0; i < chunk.length; i += perStatement) {
        const part = chunk.slice(i, i + perStatement);
        statement(part.length).run(part.flat());
      }
    })();
  }
}

export const RESPONSE_COLUMNS = [
  'id',
  'tenant_id',
  'invitation_id',
  'touchpoint_id',
  'unit_id',
  'contact_id',
  'survey_id',
  'survey_version',
  'channel',
  'locale',
  'score',
  'comment',
  'answers',
  'quality_flags',
  'counted',
  'client_hash',
  'segment',
  'lifetime_value',
  'tenure_months',
  'contract_size',
  'support_tier',
  'vendor_id',
  'agent_id',
  'answered_at',
  'created_at',
  'updated_at',
];

const TP_WEIGHTS = cumulative(TOUCHPOINTS.map((t) => t.share));
const TP_CHANNELS = TOUCHPOINTS.map((t) => ({ names: t.channels.map(([c]) => c), weights: cumulative(t.channels.map(([, w]) => w)) }));

function scoreOf(rng: Rng, quality: number): number {
  const promoter = 0.5 + quality;
  const detractor = Math.max(0.03, 0.2 - quality / 2);
  const x = rng.next();
  if (x < promoter) return rng.next() < 0.55 ? 10 : 9;
  if (x < 1 - detractor) return rng.next() < 0.55 ? 8 : 7;
  return [6, 6, 6, 5, 5, 5, 4, 4, 3, 2, 1, 0, 0][rng.int(13)]!;
}

/** One answer at time `at` (ms), as a responses row. */
export function answerRow(org: Org, at: number, rng: Rng): unknown[] {
  const siteIndex = rng.weighted(org.siteWeights);
  const site = org.sites[siteIndex]!;
  const region = org.regions[site.region]!;
  const tp = rng.weighted(TP_WEIGHTS);
  const channel = TP_CHANNELS[tp]!.names[rng.weighted(TP_CHANNELS[tp]!.weights)]!;
  // Anonymous link answers have no contact; the others come from the contact pool.
  const contact = channel === 'link' ? null : org.contacts[rng.int(org.contacts.length)]!;
  const lang = contact?.lang ?? region.lang;
  const locale = RESPONSE_LOCALES.has(lang) ? lang : 'en';
  const skipped = rng.next() < 0.01; // answered other questions, not the score
  const score = skipped ? null : scoreOf(rng, site.quality);
  const flag = rng.next();
  const flags = flag < 0.02 ? ['too_fast'] : flag < 0.03 ? ['bulk'] : [];
  const category = score === null ? null : score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
  const comment = category && rng.next() < 0.35 ? rng.pick(COMMENTS[category]) : null;
  // Who did the job, from a hash of the time rather than `rng` (the other columns stay as they were):
  // a vendor on 40 % of the jobs with a contact, one of the site's 8 agents on 90 %.
  const h = Math.imul((at % 4_294_967_296) | 0, 2_654_435_761) >>> 0;
  const vendorId = contact && h % 10 < 4 ? org.vendors[(h >>> 8) % org.vendors.length]! : null;
  const agentId = contact && h % 10 !== 9 ? `agt-${siteIndex}-${(h >>> 16) % 8}` : null;
  return [
    idAt('rsp', at, rng),
    org.tenantId,
    null,
    org.touchpoints[tp]!.id,
    site.id,
    contact?.id ?? null,
    org.surveyId,
    1,
    channel,
    locale,
    score,
    comment,
    comment ? JSON.stringify({ reason: comment }) : '{}',
    JSON.stringify(flags),
    flags.length === 0 ? 1 : 0,
    hex64(rng),
    contact?.segment ?? null,
    contact?.ltv ?? null,
    contact?.tenureMonths ?? null,
    contact?.contractSize ?? null,
    contact?.supportTier ?? null,
    vendorId,
    agentId,
    at,
    at,
    at,
  ];
}

/**
 * `n` answer times over [from, to): volume growing linearly to twice the start rate, fewer on
 * weekends, within local business hours of a region (approximately: standard offsets).
 */
export function answerTimes(n: number, from: number, to: number, rng: Rng): Float64Array {
  const days = Math.floor((to - from) / DAY_MS);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let day: number;
    for (;;) {
      const x = -1 + Math.sqrt(1 + 3 * rng.next()); // density ∝ 1 + x on [0, 1)
      day = Math.min(days - 1, Math.floor(x * days));
      const weekday = new Date(from + day * DAY_MS).getUTCDay();
      if ((weekday !== 0 && weekday !== 6) || rng.next() < 0.4) break;
    }
    const offset = REGIONS[rng.int(REGIONS.length)]!.offset;
    const localHour = 8 + 12 * ((rng.next() + rng.next()) / 2);
    const t = from + day * DAY_MS + (localHour - offset) * 3_600_000;
    out[i] = Math.min(to - 1, Math.max(from, t));
  }
  return out.sort();
}

/** Loads `n` answers spread over [from, to) in time order; reports progress. */
export function loadAnswers(file: string, org: Org, n: number, from: number, to: number, rng: Rng, progress: (done: number) => void): void {
  const times = answerTimes(n, from, to, rng);
  const CHUNK = 20_000;
  for (let i = 0; i < n; i += CHUNK) {
    const rows: unknown[][] = [];
    for (let j = i; j < Math.min(n, i + CHUNK); j++) rows.push(answerRow(org, Math.round(times[j]!), rng));
    insertRows(file, 'responses', RESPONSE_COLUMNS, rows, 400);
    progress(Math.min(n, i + CHUNK));
  }
}

const INVITATION_COLUMNS = [
  'id',
  'tenant_id',
  'contact_id',
  'unit_id',
  'touchpoint_id',
  'survey_id',
  'survey_version',
  'channel',
  'locale',
  'status',
  'source',
  'due_at',
  'sent_at',
  'attempts',
  'last_error',
  'reminder_due_at',
  'reminded_at',
  'expires_at',
  'created_at',
  'updated_at',
];

/** Invitations already sent by email (delivery is not what the capture phase measures). */
export function insertSentInvitations(file: string, org: Org, n: number, rng: Rng): { id: string; expiresAt: number }[] {
  const now = Date.now();
  const out: { id: string; expiresAt: number }[] = [];
  const rows = Array.from({ length: n }, () => {
    const id = idAt('inv', now, rng);
    const expiresAt = now + 30 * DAY_MS;
    out.push({ id, expiresAt });
    const contact = org.contacts[rng.int(org.contacts.length)]!;
    const site = org.sites[rng.weighted(org.siteWeights)]!;
    return [id, org.tenantId, contact.id, site.id, org.touchpoints[0]!.id, org.surveyId, 1, 'email', contact.lang, 'sent', 'bench:capture', now, now, 1, null, null, null, expiresAt, now, now];
  });
  insertRows(file, 'invitations', INVITATION_COLUMNS, rows);
  return out;
}
