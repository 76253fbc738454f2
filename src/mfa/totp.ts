/**
 * TOTP (RFC 6238) with otpauth: SHA-1, 6 digits, 30-second steps, one step of tolerance either way.
 * The caller stores the step a code was accepted for and refuses that step and earlier ones (no replay).
 */
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';

const PERIOD = 30;
const DIGITS = 6;
const WINDOW = 1;

export const TOTP_CODE = /^\d{6}$/;

/** A new secret: 160 random bits, as base32. */
export const newTotpSecret = () => new OTPAuth.Secret({ size: 20 }).base32;

/** For typing by hand: groups of four ("ABCD EFGH …"). */
export const groupedSecret = (base32: string) => base32.match(/.{1,4}/g)!.join(' ');

function totp(base32: string, issuer = '', label = 'Porta'): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD, secret: OTPAuth.Secret.fromBase32(base32) });
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export const totpUri = (base32: string, issuer: string, label: string) => totp(base32, issuer, label).toString();

/** The QR code of the URI as SVG markup, drawn on the server. */
export const qrSvg = (uri: string) => QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });

/** The time step a code is valid for at `now` (within the tolerance), or undefined. */
export function matchingStep(base32: string, code: string, now: number): number | undefined {
  if (!TOTP_CODE.test(code)) return undefined;
  const delta = totp(base32).validate({ token: code, timestamp: now, window: WINDOW });
  return delta === null ? undefined : Math.floor(now / 1000 / PERIOD) + delta;
}
