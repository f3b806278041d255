import { z } from 'zod';

/**
 * The tenant settings of closing the loop (docs/cases.md), mounted into the settings schema
 * (src/settings/settings.ts): case targets, the business-hours calendar they count in, routing
 * rules on contact attributes, and phone numbers for SMS notifications of case owners.
 */

const hours = z.number().int().min(1).max(8760);

/** Default first-contact and resolution targets; a touchpoint and a vendor contract override them. */
export const CaseTargetsSchema = z.strictObject({ firstContactHours: hours.default(48), resolutionHours: hours.default(168) });

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM, 00:00 to 24:00');
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** Working time: days of the week (ISO: 1 = Monday … 7 = Sunday), daily hours, holidays, in a time zone. */
export const BusinessCalendarSchema = z
  .strictObject({
    timezone: z.string().min(1).max(64).refine(isTimeZone, 'not a known IANA time zone'),
    days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
    start: clock,
    end: clock,
    holidays: z.array(z.iso.date()).max(1000).default([]),
  })
  .refine((c) => minutesOf(c.end) > minutesOf(c.start), { message: 'end must be after start', path: ['end'] });
export type BusinessCalendar = z.infer<typeof BusinessCalendarSchema>;

/**
 * `{attribute, equals, ownerUserId}` or `{theme, ownerUserId}`: the first rule whose contact
 * attribute matches, or whose library theme (its id) the answer's comment mentions
 * (docs/themes.md), names the owner.
 */
export const RoutingRulesSchema = z
  .array(
    z.union([
      z.strictObject({
        attribute: z.string().min(1).max(100),
        equals: z.union([z.string().max(500), z.number(), z.boolean()]),
        ownerUserId: z.string().min(1).max(64),
      }),
      z.strictObject({
        // A theme of the library (its id): billing complaints to the billing team.
        theme: z.string().min(1).max(64),
        ownerUserId: z.string().min(1).max(64),
      }),
    ]),
  )
  .max(200);
export type RoutingRule = z.infer<typeof RoutingRulesSchema>[number];

/** Mobile numbers of users (by user id) who also get case notifications by SMS. */
export const CasePhonesSchema = z.record(z.string().min(1).max(64), z.string().regex(/^\+?[0-9 ()-]{5,32}$/, 'a phone number'));

export { minutesOf };
