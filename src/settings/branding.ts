import { z } from 'zod';

/**
 * The tenant's look on the respondent side (docs/survey.md "Branding"): the logo, two colours
 * and the sender's name of its emails. Colours are checked for contrast (WCAG 2.1, success
 * criteria 1.4.3 and 1.4.11) when they are set, so no tenant can make its survey unreadable.
 */

/** A data URL logo: a raster image, base64, at most this many characters (about 24 KB of image). */
export const LOGO_DATA_URL_MAX = 32_768;
const DATA_URL = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb');

export const logoUrl = z
  .string()
  .max(LOGO_DATA_URL_MAX)
  .refine((v) => {
    if (v.startsWith('data:')) return DATA_URL.test(v);
    try {
      const u = new URL(v);
      return u.protocol === 'https:' && v.length <= 2000 && !u.username && !u.password;
    } catch {
      return false;
    }
  }, `an https URL (at most 2,000 characters) or a base64 data URL of a PNG, JPEG, GIF or WebP image (at most ${LOGO_DATA_URL_MAX} characters)`);

export const BrandingSchema = z.strictObject({
  /** Shown on top of the survey page and of the HTML email (an https logo only: mail clients block data URLs). */
  logoUrl: logoUrl.optional(),
  /** The logo's text alternative (the company's name): without it the logo is decorative. */
  logoAlt: z.string().max(200).optional(),
  /** Buttons, the chosen score and the email's score links: white text on it must reach 4.5:1. */
  primaryColor: hexColor.optional(),
  /** The page's background: the page's text on it 4.5:1, the primary colour on it 3:1. */
  backgroundColor: hexColor.optional(),
  /** The display name of the emails' sender (`"Name" <from>`). */
  senderName: z
    .string()
    .min(1)
    .max(80)
    .regex(/^[^\r\n"<>\\]+$/, 'no line breaks, quotes, angle brackets or backslashes')
    .optional(),
});
export type Branding = z.infer<typeof BrandingSchema>;

/** The page's own colours, the defaults a tenant's replace. */
export const PAGE_TEXT = '#1b1f24';
export const DEFAULT_PRIMARY = '#1d4ed8';
export const DEFAULT_BACKGROUND = '#f5f6f8';
const WHITE = '#ffffff';

/** Relative luminance of an sRGB colour (WCAG 2.1 definition). */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** The contrast ratio of two colours, 1 to 21: (L1 + 0.05) / (L2 + 0.05), the lighter over the darker. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The contrast problems of a branding, as `{ path, message }` under `body.branding`. */
export function contrastProblems(b: Branding): { path: string; message: string }[] {
  const primary = b.primaryColor ?? DEFAULT_PRIMARY;
  const background = b.backgroundColor ?? DEFAULT_BACKGROUND;
  const out: { path: string; message: string }[] = [];
  const ratio = (x: number) => x.toFixed(2);
  if (b.primaryColor && contrast(WHITE, primary) < 4.5) {
    out.push({ path: 'body.branding.primaryColor', message: `white text on ${primary} has a contrast of ${ratio(contrast(WHITE, primary))}:1; at least 4.5:1 is needed` });
  }
  if (b.backgroundColor && contrast(PAGE_TEXT, background) < 4.5) {
    out.push({
      path: 'body.branding.backgroundColor',
      message: `the page's text (${PAGE_TEXT}) on ${background} has a contrast of ${ratio(contrast(PAGE_TEXT, background))}:1; at least 4.5:1 is needed`,
    });
  }
  if ((b.primaryColor || b.backgroundColor) && contrast(primary, background) < 3) {
    out.push({
      path: b.backgroundColor ? 'body.branding.backgroundColor' : 'body.branding.primaryColor',
      message: `the primary colour ${primary} on the background ${background} has a contrast of ${ratio(contrast(primary, background))}:1; at least 3:1 is needed`,
    });
  }
  return out;
}

/** The origin a page must allow images from for the logo (`data:` for a data URL), or null. */
export function logoSource(b: Branding | undefined): string | null {
  if (!b?.logoUrl) return null;
  return b.logoUrl.startsWith('data:') ? 'data:' : new URL(b.logoUrl).origin;
}
