import type { Settings } from '../settings/settings';
import type { TouchpointRules } from '../touchpoints/rules';
import { addBusinessHours } from './business-hours';
import type { Chain } from './routing';

export interface Targets {
  firstContactHours: number;
  resolutionHours: number;
  /** Where each came from: `vendor_contract`, `touchpoint` or `tenant`. */
  source: { firstContact: string; resolution: string };
}

/** The most specific target of each kind: the vendor contract (for a vendor unit), the touchpoint's rules, the tenant's settings. */
export function caseTargets(chain: Chain | null, rules: TouchpointRules | null, settings: Settings): Targets {
  const pick = (contract: number | null | undefined, touchpoint: number | undefined, tenant: number) =>
    contract != null ? { hours: contract, source: 'vendor_contract' } : touchpoint != null ? { hours: touchpoint, source: 'touchpoint' } : { hours: tenant, source: 'tenant' };
  const fc = pick(chain?.contract?.firstContactHours, rules?.firstContactHours, settings.caseTargets.firstContactHours);
  const rs = pick(chain?.contract?.resolutionHours, rules?.resolutionHours, settings.caseTargets.resolutionHours);
  return { firstContactHours: fc.hours, resolutionHours: rs.hours, source: { firstContact: fc.source, resolution: rs.source } };
}

/** Due times from an instant, counted in the tenant's business hours when it has a calendar. */
export function dueTimes(from: number, targets: Pick<Targets, 'firstContactHours' | 'resolutionHours'>, settings: Settings) {
  return {
    firstContactDueAt: addBusinessHours(from, targets.firstContactHours, settings.businessCalendar),
    resolutionDueAt: addBusinessHours(from, targets.resolutionHours, settings.businessCalendar),
  };
}
