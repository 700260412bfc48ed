import * as fs from 'node:fs';

/**
 * The system's Chromium for the browser tests (Playwright's own downloads are not used): CHROMIUM_PATH when set
 * (a path that does not exist means "no browser"), else Debian's or Ubuntu's package. Undefined when there is
 * none: the browser tests then say that they did not run.
 */
export function systemChromium(): string | undefined {
  const candidates = process.env.CHROMIUM_PATH
    ? [process.env.CHROMIUM_PATH]
    : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p) => fs.existsSync(p));
}
