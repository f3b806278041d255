// The demo tenant's living history (docs/demo.md): twelve months of answers across the sites and
// both vendors, written straight into the data database through the schema (large multi-row
// inserts in a few batches, as setup), then folded into the rollups by the project's own fold
// (src/scores/fold.ts), comments analysed by the project's own analysis (src/comments/tags.ts),
// the alert evidence computed by the alert rule check itself (src/alerts/evaluate.ts).
// Deterministic: one seeded PRNG; the dates are relative to the UTC day of seeding.
import { eq, getTableColumns, getTableName, is, SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { checkRule } from '../src/alerts/evaluate';
import { commit, openDb, type Db } from '../src/db/client';
import {
  actionPlans,
  alertRules,
  alerts,
  annotations,
  caseEvents,
  cases,
  commentAnalyses,
  contacts,
  events,
  invitations,
  loginEmails,
  replyTemplates,
  responses,
  roleGrants,
  savedReports,
  surveys,
  surveyVersions,
  touchpoints,
  units,
  users,
  vendorContracts,
  type Role,
} from '../src/db/schema';
import { TenantDb } from '../src/db/tenant-db';
import { ensureLibrary } from '../src/comments/library';
import { responseAnalysis } from '../src/comments/tags';
import { closeMonths, foldTenant, FOLD_BATCH } from '../src/scores/fold';
import { localDay } from '../src/scores/local-day';
import type { Definition } from '../src/surveys/definition';
import { standardSurvey } from '../src/surveys/templates';
import { DAY_MS, idAt, insertRows, Rng } from './bench-data';

/** The people of the history, besides the three logins of the base seed (all with the demo password). */
export const HISTORY_PEOPLE: { email: string; name: string; role: Role; unit: string }[] = [
  { email: 'analyst@acme.test', name: 'Sofia Lindqvist', role: 'analyst', unit: 'Acme Field Services' },
  { email: 'manager.americas@acme.test', name: 'Carlos Mendes', role: 'manager', unit: 'Americas' },
  { email: 'manager.berlin@acme.test', name: 'Lena Fischer', role: 'manager', unit: 'Berlin' },
  { email: 'manager.paris@acme.test', name: 'Camille Laurent', role: 'manager', unit: 'Paris' },
  { email: 'manager.london@acme.test', name: 'Oliver Bennett', role: 'manager', unit: 'London' },
  { email: 'manager.newyork@acme.test', name: 'Maya Johnson', role: 'manager', unit: 'New York' },
  { email: 'manager.saopaulo@acme.test', name: 'Rafael Souza', role: 'manager', unit: 'São Paulo' },
  { email: 'manager.toronto@acme.test', name: 'Emily Tremblay', role: 'manager', unit: 'Toronto' },
  { email: 'vendor@quickserve.test', name: 'Daniel Kim', role: 'vendor', unit: 'QuickServe' },
  { email: 'agent@acme.test', name: 'Noah Schulz', role: 'agent', unit: 'Berlin' },
];
/** Real names for the base seed's logins. */
export const BASE_NAMES: Record<string, string> = { 'admin@acme.test': 'Amelia Hart', 'manager.emea@acme.test': 'Jonas Weber', 'vendor@fastfix.test': 'Priya Natarajan' };

/** How many answers the history holds (about; a few skip the score). */
export const HISTORY_ANSWERS = 30_000;

/**
 * Each place answers come from: its share of the volume, its quality (shifts the promoter and
 * detractor shares), its customers' languages. Paris declines after a process change 100 days
 * before the seeding day; London had a four-week staffing gap seven months ago; QuickServe is
 * the weaker vendor.
 */
const PLACES: { unit: string; share: number; quality: number; locales: [string, number][] }[] = [
  {
    unit: 'Berlin',
    share: 15,
    quality: 0.08,
    locales: [
      ['de', 90],
      ['en', 10],
    ],
  },
  {
    unit: 'Paris',
    share: 11,
    quality: 0.06,
    locales: [
      ['fr', 92],
      ['en', 8],
    ],
  },
  { unit: 'London', share: 13, quality: 0.02, locales: [['en', 100]] },
  {
    unit: 'New York',
    share: 15,
    quality: 0.04,
    locales: [
      ['en', 75],
      ['es', 25],
    ],
  },
  {
    unit: 'São Paulo',
    share: 9,
    quality: 0.0,
    locales: [
      ['pt', 80],
      ['es', 20],
    ],
  },
  {
    unit: 'Toronto',
    share: 10,
    quality: 0.05,
    locales: [
      ['en', 70],
      ['fr', 30],
    ],
  },
  {
    unit: 'FastFix',
    share: 15,
    quality: 0.03,
    locales: [
      ['de', 45],
      ['en', 35],
      ['fr', 20],
    ],
  },
  {
    unit: 'QuickServe',
    share: 12,
    quality: -0.12,
    locales: [
      ['en', 65],
      ['es', 35],
    ],
  },
];
/** Paris's process change: days before the seeding day. */
export const PARIS_CHANGE_DAYS_AGO = 100;
const LONDON_GAP = { from: 215, to: 187 }; // days ago

const TOUCHPOINT_DEFS = [
  { key: 'site-visit', name: 'Technician site visit', kind: 'site_visit', share: 45, channels: ['sms', 'email'] as ('email' | 'sms')[] },
  { key: 'invoice', name: 'Invoice paid', kind: 'invoice', share: 15, channels: ['email'] as ('email' | 'sms')[] },
];

/** Recurring comments per language and category: the themes of the starter library recur in them. */
const COMMENTS: Record<string, Record<'promoter' | 'passive' | 'detractor', string[]>> = {
  en: {
    promoter: [
      'The technician was friendly and fixed it on the first visit.',
      'Fast response and a very competent engineer.',
      'Great communication, they kept me informed the whole time.',
      'Punctual, polite and quick. Thank you!',
    ],
    passive: ['Good repair, but the waiting time was long.', 'Fine overall, the appointment was rescheduled twice.', 'The technician was nice, the invoice was confusing.'],
    detractor: [
      'Nobody called back and I had to wait a week.',
      'The technician arrived late and the problem came back a day later.',
      'Far too slow. Three appointments cancelled.',
      'Overcharged on the invoice and no refund yet.',
      'Rude on the phone and no update on my ticket.',
    ],
  },
  de: {
    promoter: ['Sehr freundlicher Techniker, alles beim ersten Termin repariert.', 'Schnelle Antwort und kompetenter Monteur.', 'Pünktlich und gut informiert. Danke!'],
    passive: ['Reparatur gut, aber die Wartezeit war lang.', 'Der Termin wurde zweimal verschoben.', 'Techniker nett, die Rechnung unverständlich.'],
    detractor: [
      'Kein Rückruf, ich habe eine Woche gewartet.',
      'Der Techniker kam verspätet und das Problem ist wieder da.',
      'Viel zu langsam, drei Termine abgesagt.',
      'Die Rechnung ist zu hoch und keine Erstattung.',
    ],
  },
  fr: {
    promoter: ['Technicien très aimable, réparation faite du premier coup.', 'Réponse rapide et intervenant compétent.', 'Ponctuel et bien informé, merci !'],
    passive: ['Bonne réparation, mais une longue attente.', 'Le rendez-vous a été déplacé deux fois.', 'Technicien sympathique, facture peu claire.'],
    detractor: [
      'Personne ne m’a rappelé, une semaine d’attente.',
      'Le technicien est arrivé en retard et la panne est revenue.',
      'Beaucoup trop lent, trois rendez-vous annulés.',
      'Facture trop élevée et aucun remboursement.',
    ],
  },
  es: {
    promoter: ['El técnico fue muy amable y lo reparó a la primera.', 'Respuesta rápida y un técnico competente.', 'Puntual y con buena comunicación, ¡gracias!'],
    passive: ['Buena reparación, pero la espera fue larga.', 'La cita se cambió dos veces.', 'El técnico fue amable, la factura confusa.'],
    detractor: [
      'Nadie me devolvió la llamada, una semana de espera.',
      'El técnico llegó tarde y la avería volvió.',
      'Demasiado lento, tres citas canceladas.',
      'Cobro excesivo en la factura y sin reembolso.',
    ],
  },
  pt: {
    promoter: ['O técnico foi muito simpático e resolveu na primeira visita.', 'Resposta rápida e técnico competente.'],
    passive: ['Bom conserto, mas a espera foi longa.', 'O agendamento mudou duas vezes.'],
    detractor: ['Ninguém respondeu, esperei uma semana.', 'O técnico chegou atrasado e a avaria voltou.', 'Cobrança errada na fatura e sem reembolso.'],
  },
};

const FIRST = [
  'Anna',
  'Ben',
  'Clara',
  'David',
  'Elena',
  'Felix',
  'Grace',
  'Hugo',
  'Ines',
  'Jakob',
  'Laura',
  'Marco',
  'Nina',
  'Omar',
  'Paula',
  'Quentin',
  'Rosa',
  'Samuel',
  'Tara',
  'Victor',
  'Yara',
  'Zoe',
  'Lucas',
  'Mia',
  'Leon',
  'Chloé',
  'Mateo',
  'Sara',
  'Thomas',
  'Julia',
];
const LAST = [
  'Müller',
  'Schmidt',
  'Dubois',
  'Martin',
  'Smith',
  'Brown',
  'García',
  'López',
  'Silva',
  'Santos',
  'Wilson',
  'Roy',
  'Bernard',
  'Klein',
  'Wagner',
  'Moreau',
  'Taylor',
  'Nguyen',
  'Costa',
  'Fernández',
  'Patel',
  'Evans',
  'Lefèvre',
  'Becker',
];

/** The demo survey in every locale its sites use (English and German from the standard survey). */
export function demoSurvey(company: string): Definition {
  const d = standardSurvey(company);
  const more: Record<string, Record<string, string>> = {
    fr: {
      'page.title': `Votre avis sur ${company}`,
      'page.submit': 'Envoyer',
      'page.thanks': 'Merci pour votre avis.',
      'page.expired': 'Cette enquête est close.',
      'nps.label': `Quelle est la probabilité que vous recommandiez ${company} à un ami ou un collègue ?`,
      'nps.low': 'Pas du tout probable',
      'nps.high': 'Très probable',
      'reason.label.detractor': 'Nous en sommes désolés. Qu’aurions-nous dû faire mieux ?',
      'reason.label.passive': 'Que faudrait-il pour que vous nous donniez 10 ?',
      'reason.label.promoter': 'Merci ! Qu’avez-vous le plus apprécié ?',
      'invite.subject': `Comment s’est passée votre intervention ? Une question de ${company}`,
      'invite.body': `Dites-nous en quelques secondes si vous recommanderiez ${company} : {link}`,
    },
    es: {
      'page.title': `Su opinión sobre ${company}`,
      'page.submit': 'Enviar',
      'page.thanks': 'Gracias por su opinión.',
      'page.expired': 'Esta encuesta está cerrada.',
      'nps.label': `¿Qué probabilidad hay de que recomiende ${company} a un amigo o colega?`,
      'nps.low': 'Nada probable',
      'nps.high': 'Muy probable',
      'reason.label.detractor': 'Lo sentimos. ¿Qué deberíamos haber hecho mejor?',
      'reason.label.passive': '¿Qué haría falta para que nos diera un 10?',
      'reason.label.promoter': '¡Nos alegra! ¿Qué le gustó más?',
      'invite.subject': `¿Qué tal lo hicimos? Una pregunta rápida de ${company}`,
      'invite.body': `Díganos en unos segundos si recomendaría ${company}: {link}`,
    },
    pt: {
      'page.title': `Sua opinião sobre a ${company}`,
      'page.submit': 'Enviar',
      'page.thanks': 'Obrigado pela sua opinião.',
      'page.expired': 'Esta pesquisa foi encerrada.',
      'nps.label': `Qual a probabilidade de você recomendar a ${company} a um amigo ou colega?`,
      'nps.low': 'Nada provável',
      'nps.high': 'Extremamente provável',
      'reason.label.detractor': 'Sentimos muito. O que deveríamos ter feito melhor?',
      'reason.label.passive': 'O que faria você nos dar um 10?',
      'reason.label.promoter': 'Que bom! Do que você mais gostou?',
      'invite.subject': `Como nos saímos? Uma pergunta rápida da ${company}`,
      'invite.body': `Diga-nos em poucos segundos se recomendaria a ${company}: {link}`,
    },
  };
  return { ...d, translations: { ...d.translations, ...more } };
}

const categoryOf = (score: number) => (score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor');

type Table = Parameters<Db['insert']>[0];

/** Rows of a table as the driver stores them: its columns' names, each value mapped by its column (JSON, booleans), defaults filled in. */
function driverRows(table: Table, rows: Record<string, unknown>[]): [string[], unknown[][]] {
  const columns = Object.entries(getTableColumns(table));
  const out = rows.map((r) =>
    columns.map(([key, c]) => {
      const v = r[key] !== undefined ? r[key] : c.hasDefault && !is(c.default, SQL) ? c.default : null;
      return v === null || v === undefined ? null : c.mapToDriverValue(v);
    }),
  );
  return [columns.map(([, c]) => c.name), out];
}

/** Inserts in statements of `per` rows, about 2,500 rows a request (a request's body stays well under the server's 10 MB). */
async function bulk<T>(db: Db, table: Table, rows: T[], per: number) {
  const statements: BatchItem<'sqlite'>[] = [];
  for (let i = 0; i < rows.length; i += per) statements.push(db.insert(table).values(rows.slice(i, i + per) as never) as never);
  const each = Math.max(1, Math.floor(2500 / per));
  for (let i = 0; i < statements.length; i += each) await commit(db, statements.slice(i, i + each));
}

export interface HistorySummary {
  answers: number;
  invitations: number;
  cases: number;
  ms: number;
}

/**
 * Seeds the history of the demo tenant just created by seedDemoTenant (its units, survey and
 * support-resolution touchpoint exist). `today`: the UTC day the history ends before (ms).
 */
export async function seedDemoHistory(url: string, tenantId: string, opts: { file?: string; today?: number } = {}): Promise<HistorySummary> {
  let db = openDb(url);
  const today = opts.today ?? Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const t0 = performance.now();
  const rng = new Rng(20_261_204);
  let t = new TenantDb(db, tenantId as TenantDb['tenantId']);
  const now = Date.now();
  const unitRows = await t.select({ id: units.id, name: units.name, path: units.path, timezone: units.timezone, kind: units.kind }).from(units);
  const unit = (name: string) => unitRows.find((u) => u.name === name)!;
  const [survey] = await t.select().from(surveys);
  const [baseTp] = await t.select().from(touchpoints);
  const userRows = await t.select({ id: users.id, email: users.email, passwordHash: users.passwordHash }).from(users);
  const admin = userRows.find((u) => u.email === 'admin@acme.test')!;
  const passwordHash = userRows.find((u) => u.email !== 'admin@acme.test')!.passwordHash;

  // People, the translated survey (version 2), two more touchpoints, vendor contracts.
  const setup: BatchItem<'sqlite'>[] = [];
  for (const [email, name] of Object.entries(BASE_NAMES)) setup.push(t.update(users).set({ name }).where(eq(users.email, email)));
  const people = new Map<string, string>(userRows.map((u) => [u.email, u.id]));
  for (const p of HISTORY_PEOPLE) {
    const id = idAt('usr', now, rng);
    people.set(p.email, id);
    setup.push(
      t.insert(users).values({ id, email: p.email, name: p.name, passwordHash, createdAt: now, updatedAt: now }),
      db.insert(loginEmails).values({ email: p.email, tenantId, userId: id }),
      t.insert(roleGrants).values({ id: idAt('grt', now, rng), userId: id, unitId: unit(p.unit).id, role: p.role, createdAt: now }),
    );
  }
  const definition = demoSurvey('Acme Field Services');
  setup.push(
    t
      .update(surveys)
      .set({ draft: definition as never, publishedVersion: 2, updatedAt: now })
      .where(eq(surveys.id, survey!.id)),
    t.insert(surveyVersions).values({ id: idAt('srv_v', now, rng), surveyId: survey!.id, version: 2, definition: definition as never, publishedBy: admin.id, createdAt: now }),
  );
  const tps = [{ id: baseTp!.id, key: baseTp!.key, share: 40 }];
  for (const d of TOUCHPOINT_DEFS) {
    const id = idAt('tp', now, rng);
    tps.push({ id, key: d.key, share: d.share });
    setup.push(
      t.insert(touchpoints).values({
        id,
        key: d.key,
        name: d.name,
        kind: d.kind,
        surveyId: survey!.id,
        channels: d.channels,
        delayMinutes: 120,
        reminderAfterDays: 3,
        rules: { suppressAfterNegativeDays: 7 },
        active: true,
        createdAt: now,
        updatedAt: now,
      }),
    );
  }
  setup.push(
    t.insert(vendorContracts).values({
      id: idAt('vc', now, rng),
      unitId: unit('FastFix').id,
      ownerUserId: people.get('manager.emea@acme.test')!,
      firstContactHours: 24,
      resolutionHours: 120,
      compositeWeights: {},
      createdAt: now,
      updatedAt: now,
    }),
    t.insert(vendorContracts).values({
      id: idAt('vc', now, rng),
      unitId: unit('QuickServe').id,
      ownerUserId: people.get('manager.americas@acme.test')!,
      firstContactHours: 24,
      resolutionHours: 120,
      compositeWeights: {},
      createdAt: now,
      updatedAt: now,
    }),
  );
  await commit(db, setup);

  // Contacts: a pool per place, named, in the place's languages.
  const start = today - 365 * DAY_MS;
  const placeCum: number[] = [];
  PLACES.reduce((s, p, i) => (placeCum[i] = s + p.share), 0);
  const tpCum: number[] = [];
  tps.reduce((s, p, i) => (tpCum[i] = s + p.share), 0);
  const contactRows: (typeof contacts.$inferInsert)[] = [];
  const pools = PLACES.map((p, pi) =>
    Array.from({ length: Math.round(p.share * 50) }, (_, i) => {
      const locCum: number[] = [];
      p.locales.reduce((s, [, w], k) => (locCum[k] = s + w), 0);
      const locale = p.locales[rng.weighted(locCum)]![0];
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      const segment = rng.pick(['smb', 'smb', 'mid_market', 'enterprise']);
      const row = {
        id: idAt('ct', start, rng),
        tenantId,
        externalId: `crm-${pi}-${i}`,
        email: `${first}.${last}.${pi}${i}@example.test`
          .toLowerCase()
          .normalize('NFD')
          .replace(/[\u0300-\u036f]/g, ''),
        locale,
        segment,
        lifetimeValue: Math.round((segment === 'enterprise' ? 40_000 : segment === 'mid_market' ? 8_000 : 1_500) * Math.exp(rng.normal() * 0.6)),
        attributes: { name: `${first} ${last}` },
        createdAt: start,
        updatedAt: start,
      };
      contactRows.push(row);
      return row;
    }),
  );

  // Answers: volume with a winter peak and growth, scores by place, season, resolution time.
  const eventRows: (typeof events.$inferInsert)[] = [];
  const invitationRows: (typeof invitations.$inferInsert)[] = [];
  const responseRows: (typeof responses.$inferInsert)[] = [];
  const times: number[] = [];
  for (let i = 0; i < HISTORY_ANSWERS; i++) {
    for (;;) {
      const day = rng.int(365);
      const season = 1 + 0.3 * Math.cos((2 * Math.PI * (new Date(start + day * DAY_MS).getUTCMonth() - 0.5)) / 12); // peaks in winter
      const growth = 0.8 + (0.4 * day) / 365;
      if (rng.next() * 1.6 < season * growth) {
        times.push(start + day * DAY_MS + Math.floor((7 + rng.next() * 11) * 3_600_000));
        break;
      }
    }
  }
  times.sort((a, b) => a - b);
  const caseRows: (typeof cases.$inferInsert)[] = [];
  const caseEventRows: (typeof caseEvents.$inferInsert)[] = [];
  const owners: Record<string, string> = {
    Berlin: 'manager.berlin@acme.test',
    Paris: 'manager.paris@acme.test',
    London: 'manager.london@acme.test',
    'New York': 'manager.newyork@acme.test',
    'São Paulo': 'manager.saopaulo@acme.test',
    Toronto: 'manager.toronto@acme.test',
    FastFix: 'vendor@fastfix.test',
    QuickServe: 'vendor@quickserve.test',
  };
  for (const at of times) {
    const pi = rng.weighted(placeCum);
    const place = PLACES[pi]!;
    const u = unit(place.unit);
    const contact = rng.pick(pools[pi]!);
    const daysAgo = (today - at) / DAY_MS;
    const tp = tps[rng.weighted(tpCum)]!;
    // Resolution hours (log-normal, median 20 h; QuickServe slower): slow resolutions make detractors.
    const hours = Math.round(20 * Math.exp(rng.normal() * 0.8) * (place.unit === 'QuickServe' ? 1.6 : 1));
    const month = new Date(at).getUTCMonth();
    let quality = place.quality - 0.1 * Math.min(1.5, Math.max(0, (hours - 24) / 48)) - (month === 11 || month === 0 ? 0.05 : 0);
    if (place.unit === 'Paris' && daysAgo < PARIS_CHANGE_DAYS_AGO) quality -= 0.22;
    if (place.unit === 'London' && daysAgo < LONDON_GAP.from && daysAgo >= LONDON_GAP.to) quality -= 0.25;
    const x = rng.next();
    const promoter = 0.5 + quality;
    const detractor = Math.max(0.03, 0.18 - quality * 0.8);
    const score = rng.next() < 0.01 ? null : x < promoter ? (rng.next() < 0.55 ? 10 : 9) : x < 1 - detractor ? (rng.next() < 0.55 ? 8 : 7) : rng.pick([6, 6, 6, 5, 5, 4, 4, 3, 2, 1, 0]);
    const locale = contact.locale!;
    const category = score === null ? null : categoryOf(score);
    const comment = category && rng.next() < (category === 'detractor' ? 0.6 : 0.3) ? rng.pick(COMMENTS[locale]![category]) : null;
    const flagged = rng.next() < 0.01;
    const channel = rng.next() < 0.7 ? 'email' : 'sms';
    const eventAt = at - (2 + rng.int(20)) * 3_600_000;
    const eventId = idAt('evt', eventAt, rng);
    const invitationId = idAt('inv', eventAt, rng);
    const responseId = idAt('rsp', at, rng);
    eventRows.push({
      id: eventId,
      tenantId,
      eventId: `demo-${eventId}`,
      type: tp.key === 'invoice' ? 'invoice.paid' : 'ticket.resolved',
      occurredAt: eventAt,
      contactId: contact.id,
      unitId: u.id,
      touchpointId: tp.id,
      attributes: { resolutionHours: hours, firstTimeFix: hours < 30 && rng.next() < 0.8 },
      decision: 'invite',
      reason: 'eligible',
      invitationId,
      createdAt: eventAt,
    });
    invitationRows.push({
      id: invitationId,
      tenantId,
      contactId: contact.id,
      unitId: u.id,
      touchpointId: tp.id,
      surveyId: survey!.id,
      surveyVersion: daysAgo < 30 ? 2 : 1,
      channel,
      locale,
      status: 'answered',
      source: `event:demo-${eventId}`,
      dueAt: eventAt,
      sentAt: eventAt,
      attempts: 1,
      expiresAt: eventAt + 30 * DAY_MS,
      createdAt: eventAt,
      updatedAt: at,
    });
    responseRows.push({
      id: responseId,
      tenantId,
      invitationId,
      touchpointId: tp.id,
      unitId: u.id,
      contactId: contact.id,
      surveyId: survey!.id,
      surveyVersion: daysAgo < 30 ? 2 : 1,
      channel,
      locale,
      score,
      comment,
      answers: comment ? { nps: score, reason: comment } : { nps: score },
      qualityFlags: flagged ? ['too_fast'] : [],
      counted: !flagged,
      segment: contact.segment,
      lifetimeValue: contact.lifetimeValue,
      eventId,
      answeredAt: at,
      createdAt: at,
      updatedAt: at,
    });
    // Unanswered invitations of the last 90 days (about two per answer: a 33 % response rate),
    // some failed; older ones expired.
    if (daysAgo < 90)
      for (let k = 0; k < 2; k++) {
        const c = rng.pick(pools[pi]!);
        const sentAt = eventAt - rng.int(6) * 3_600_000;
        const id = idAt('inv', sentAt, rng);
        const evId = idAt('evt', sentAt, rng);
        const failed = rng.next() < 0.04;
        const expired = today - sentAt > 30 * DAY_MS;
        eventRows.push({
          id: evId,
          tenantId,
          eventId: `demo-${evId}`,
          type: 'ticket.resolved',
          occurredAt: sentAt,
          contactId: c.id,
          unitId: u.id,
          touchpointId: tp.id,
          attributes: { resolutionHours: hours },
          decision: 'invite',
          reason: 'eligible',
          invitationId: id,
          createdAt: sentAt,
        });
        invitationRows.push({
          id,
          tenantId,
          contactId: c.id,
          unitId: u.id,
          touchpointId: tp.id,
          surveyId: survey!.id,
          surveyVersion: daysAgo < 30 ? 2 : 1,
          channel,
          locale: c.locale,
          status: failed ? 'dead' : expired ? 'expired' : 'sent',
          source: `event:demo-${evId}`,
          dueAt: sentAt,
          sentAt: failed ? null : sentAt,
          attempts: failed ? 3 : 1,
          lastError: failed ? 'mailbox unavailable (550)' : null,
          // A reminder was sent (or is no longer due) for every one of them.
          remindedAt: failed ? null : sentAt + 3 * DAY_MS,
          expiresAt: sentAt + 30 * DAY_MS,
          createdAt: sentAt,
          updatedAt: sentAt,
        });
      }
    // Recovery cases for the counted detractors of the last 45 days: every state, some late.
    if (score !== null && score <= 6 && !flagged && daysAgo < 45) {
      const caseId = idAt('case', at, rng);
      // Berlin's agent works some of Berlin's cases.
      const owner = people.get(place.unit === 'Berlin' && rng.next() < 0.4 ? 'agent@acme.test' : owners[place.unit]!)!;
      const firstContactDueAt = at + 48 * 3_600_000;
      const resolutionDueAt = at + 7 * DAY_MS;
      const age = daysAgo;
      const roll = rng.next();
      let status: 'open' | 'contacted' | 'resolved' | 'closed';
      if (age > 14) status = roll < 0.8 ? 'closed' : roll < 0.92 ? 'resolved' : 'contacted';
      else if (age > 3) status = roll < 0.35 ? 'resolved' : roll < 0.75 ? 'contacted' : 'open';
      else status = roll < 0.7 ? 'open' : 'contacted';
      const contactedAt = status === 'open' ? null : at + (6 + rng.int(60)) * 3_600_000;
      const resolvedAt = status === 'resolved' || status === 'closed' ? contactedAt! + (12 + rng.int(120)) * 3_600_000 : null;
      const lateFirst = status === 'open' && firstContactDueAt < today;
      const lateResolution = (status === 'open' || status === 'contacted') && resolutionDueAt < today;
      caseRows.push({
        id: caseId,
        tenantId,
        responseId,
        unitId: u.id,
        touchpointId: tp.id,
        contactId: contact.id,
        ownerUserId: owner,
        status,
        score,
        firstContactDueAt,
        resolutionDueAt,
        firstContactAt: contactedAt,
        resolvedAt,
        closedAt: status === 'closed' ? resolvedAt! + DAY_MS : null,
        // Late cases were escalated when they became late (the escalation job would do it now).
        escalationLevel: lateFirst || lateResolution ? 1 : 0,
        escalated: [...(lateFirst ? ['first_contact'] : []), ...(lateResolution ? ['resolution'] : [])],
        rootCause: resolvedAt ? rng.pick(['Slow dispatch', 'Repeat fault', 'Billing error', 'Missed appointment']) : null,
        tags: resolvedAt ? [rng.pick(['callback', 'goodwill', 'process'])] : [],
        createdAt: at,
        updatedAt: resolvedAt ?? contactedAt ?? at,
      });
      caseEventRows.push({ id: idAt('cev', at, rng), tenantId, caseId, type: 'opened', actorType: 'system', toStatus: 'open', createdAt: at });
      if (contactedAt)
        caseEventRows.push({
          id: idAt('cev', contactedAt, rng),
          tenantId,
          caseId,
          type: 'contacted',
          actorType: 'user',
          actorId: owner,
          fromStatus: 'open',
          toStatus: 'contacted',
          note: 'Called the customer.',
          createdAt: contactedAt,
        });
      if (resolvedAt)
        caseEventRows.push({
          id: idAt('cev', resolvedAt, rng),
          tenantId,
          caseId,
          type: 'resolved',
          actorType: 'user',
          actorId: owner,
          fromStatus: 'contacted',
          toStatus: 'resolved',
          note: 'Fixed on a second visit.',
          createdAt: resolvedAt,
        });
    }
  }

  // Comments analysed as the follow-up would (each distinct text once; its row per answer).
  const lib = await ensureLibrary(t, tenantId);
  const analysed = new Map<string, ReturnType<typeof responseAnalysis>>();
  const analysisRows = responseRows
    .filter((r) => r.comment)
    .map((r) => {
      const key = `${r.locale}\u0000${r.comment}`;
      let a = analysed.get(key);
      if (!a)
        analysed.set(key, (a = responseAnalysis(lib, { id: r.id, unitId: r.unitId, score: r.score ?? null, counted: r.counted, comment: r.comment!, locale: r.locale, createdAt: r.createdAt! }, now)));
      return { ...a, id: r.id, responseId: r.id, unitId: r.unitId, score: r.score ?? null, counted: r.counted, createdAt: r.createdAt!, tenantId };
    });

  const lap = (what: string) => process.env.DEMO_HISTORY_TIMES && console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  lap('generated');
  // Straight into the database file when it is at hand (the local stack's), else through the server.
  const write = async (table: Table, rows: Record<string, unknown>[], per: number) => (opts.file ? insertRows(opts.file, getTableName(table), ...driverRows(table, rows)) : bulk(db, table, rows, per));
  await write(contacts, contactRows, 400);
  await write(events, eventRows, 300);
  await write(invitations, invitationRows, 250);
  await write(responses, responseRows, 200);
  await write(commentAnalyses, analysisRows, 300);
  await write(cases, caseRows, 200);
  await write(caseEvents, caseEventRows, 300);
  // The writes above are synchronous: an in-process server (npm start's) lets its idle
  // keep-alive connections go now; a moment for that, then a client of its own for what follows.
  await new Promise((r) => setTimeout(r, 300));
  db = openDb(url);
  t = new TenantDb(db, tenantId as TenantDb['tenantId']);
  lap('written');

  // The rollups, by the fold itself, then the finished months closed.
  for (;;) if ((await foldTenant(t, now)).folded < FOLD_BATCH) break;
  await closeMonths(t, now);
  lap('folded');

  // Annotations, alert rules with their alerts (evidence from the rule check), action plans,
  // reply templates, saved reports.
  const paris = unit('Paris');
  const london = unit('London');
  const day = (daysAgo: number, tz = 'UTC') => localDay(today - daysAgo * DAY_MS, tz);
  // Paris against a fixed baseline before its process change: the alert stays open until it is back.
  const rule = {
    tenantId,
    touchpointId: null,
    windowDays: 28,
    baselineDays: 56,
    baselineFrom: null,
    baselineTo: null,
    minDropPoints: 10,
    alpha: 0.05,
    minN: 30,
    active: true,
    createdAt: now,
    updatedAt: now,
  };
  const parisRule = { ...rule, id: idAt('alrr', now, rng), unitId: paris.id, baselineDays: null, baselineFrom: day(PARIS_CHANGE_DAYS_AGO + 90), baselineTo: day(PARIS_CHANGE_DAYS_AGO + 1) };
  const londonRule = { ...rule, id: idAt('alrr', now, rng), unitId: london.id };
  const parisVerdict = await checkRule(t, parisRule as never, paris, today - (PARIS_CHANGE_DAYS_AGO - 30) * DAY_MS);
  const londonThen = today - (LONDON_GAP.to + 1) * DAY_MS;
  const londonVerdict = await checkRule(t, londonRule as never, london, londonThen);
  const raisedAt = today - (PARIS_CHANGE_DAYS_AGO - 30) * DAY_MS;
  const plans: BatchItem<'sqlite'>[] = [
    t.insert(annotations).values({
      id: idAt('ann', now, rng),
      unitId: paris.id,
      day: day(PARIS_CHANGE_DAYS_AGO, paris.timezone),
      kind: 'process_change',
      title: 'New dispatch process',
      appliesToSubtree: false,
      createdBy: admin.id,
      createdAt: now,
    }),
    t.insert(annotations).values({
      id: idAt('ann', now, rng),
      unitId: london.id,
      day: day(LONDON_GAP.from, london.timezone),
      kind: 'other',
      title: 'Two technicians on leave',
      appliesToSubtree: false,
      createdBy: admin.id,
      createdAt: now,
    }),
    t.insert(alertRules).values([parisRule, londonRule]),
    t.insert(alerts).values({
      id: idAt('alr', raisedAt, rng),
      ruleId: parisRule.id,
      unitId: paris.id,
      status: parisVerdict.breach ? 'open' : 'recovered',
      evidence: parisVerdict.evidence,
      rootCause: 'Dispatch now batches visits per day: first visits wait longer.',
      correctiveAction: null,
      createdAt: raisedAt,
      updatedAt: raisedAt,
    }),
    t.insert(alerts).values({
      id: idAt('alr', londonThen, rng),
      ruleId: londonRule.id,
      unitId: london.id,
      status: 'recovered',
      evidence: londonVerdict.evidence,
      rootCause: 'Two technicians on leave at once.',
      correctiveAction: 'Leave is now planned so that one senior technician is always in.',
      recoveredAt: londonThen + 30 * DAY_MS,
      createdAt: londonThen,
      updatedAt: londonThen + 30 * DAY_MS,
    }),
    t.insert(actionPlans).values([
      {
        id: idAt('plan', now, rng),
        unitId: paris.id,
        title: 'Restore same-day dispatch for first visits',
        description: 'Since the new dispatch process, first visits wait two days longer; detractors name waiting and callbacks.',
        theme: 'Waiting time',
        ownerUserId: people.get('manager.paris@acme.test')!,
        status: 'in_progress',
        dueOn: day(-30),
        beforeFrom: day(PARIS_CHANGE_DAYS_AGO + 90),
        beforeTo: day(PARIS_CHANGE_DAYS_AGO + 1),
        afterFrom: day(PARIS_CHANGE_DAYS_AGO),
        afterTo: day(1),
        createdAt: now,
        updatedAt: now,
      },
      {
        id: idAt('plan', now, rng),
        unitId: london.id,
        title: 'Plan leave so a senior technician is always in',
        description: 'After the staffing gap: no more than one technician on leave at a time.',
        theme: 'Technician skill',
        ownerUserId: people.get('manager.london@acme.test')!,
        status: 'done',
        dueOn: day(LONDON_GAP.to - 30),
        beforeFrom: day(LONDON_GAP.from),
        beforeTo: day(LONDON_GAP.to + 1),
        afterFrom: day(LONDON_GAP.to),
        afterTo: day(LONDON_GAP.to - 60),
        createdAt: now,
        updatedAt: now,
      },
      {
        id: idAt('plan', now, rng),
        unitId: unit('QuickServe').id,
        title: 'Call every detractor back within 24 hours',
        description: 'QuickServe resolves more slowly than FastFix; slow resolutions drive its detractors.',
        theme: 'Communication',
        ownerUserId: people.get('vendor@quickserve.test')!,
        status: 'planned',
        dueOn: day(-45),
        createdAt: now,
        updatedAt: now,
      },
    ]),
    t.insert(replyTemplates).values([
      {
        id: idAt('rtp', now, rng),
        theme: 'Waiting time',
        locale: 'en',
        subject: 'About your wait, {contactName}',
        body: 'Dear {contactName},\n\nthank you for your score of {score}. You waited too long for us, and we are sorry. I will call you today to put it right.\n\n{ownerName}, {unitName}',
        createdAt: now,
        updatedAt: now,
      },
      {
        id: idAt('rtp', now, rng),
        theme: 'Waiting time',
        locale: 'de',
        subject: 'Ihre Wartezeit, {contactName}',
        body: 'Guten Tag {contactName},\n\ndanke für Ihre Bewertung ({score}). Sie haben zu lange gewartet, das tut uns leid. Ich rufe Sie heute an.\n\n{ownerName}, {unitName}',
        createdAt: now,
        updatedAt: now,
      },
      {
        id: idAt('rtp', now, rng),
        theme: 'Waiting time',
        locale: 'fr',
        subject: 'Votre attente, {contactName}',
        body: 'Bonjour {contactName},\n\nmerci pour votre note de {score}. Vous avez trop attendu, nous en sommes désolés. Je vous appelle aujourd’hui.\n\n{ownerName}, {unitName}',
        createdAt: now,
        updatedAt: now,
      },
      {
        id: idAt('rtp', now, rng),
        theme: 'Billing',
        locale: 'en',
        subject: 'Your invoice, {contactName}',
        body: 'Dear {contactName},\n\nwe are checking your invoice now and will correct it within two working days.\n\n{ownerName}, {unitName}',
        createdAt: now,
        updatedAt: now,
      },
      {
        id: idAt('rtp', now, rng),
        theme: 'Billing',
        locale: 'es',
        subject: 'Su factura, {contactName}',
        body: 'Estimado/a {contactName}:\n\nestamos revisando su factura y la corregiremos en dos días hábiles.\n\n{ownerName}, {unitName}',
        createdAt: now,
        updatedAt: now,
      },
    ]),
    t.insert(savedReports).values([
      {
        id: idAt('rpt', now, rng),
        ownerType: 'user',
        ownerId: admin.id,
        unitId: unit('Acme Field Services').id,
        name: 'NPS by region, last 12 months',
        filters: { rangeDays: 365, period: 'month', groupBy: 'unit', weight: 'none', confidence: 0.95 },
        schedule: null,
        nextRunAt: null,
        createdAt: now,
        updatedAt: now,
      },
      {
        id: idAt('rpt', now, rng),
        ownerType: 'user',
        ownerId: people.get('manager.emea@acme.test')!,
        unitId: unit('EMEA').id,
        name: 'EMEA sites, last 90 days',
        filters: { rangeDays: 90, period: 'week', groupBy: 'unit', weight: 'none', compare: 'previous', confidence: 0.95 },
        schedule: null,
        nextRunAt: null,
        createdAt: now,
        updatedAt: now,
      },
    ]),
  ];
  await commit(db, plans);
  return { answers: responseRows.length, invitations: invitationRows.length, cases: caseRows.length, ms: performance.now() - t0 };
}
