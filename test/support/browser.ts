import * as fs from 'node:fs';

/**
 * The system's Chromium for the browser tests (Playwright's own downloads are not used): CHROMIUM_PATH, else
 * Debian's or Ubuntu's package. Undefined when there is none: the browser tests then say they did not run.
 */
export function systemChromium(): string | undefined {
  return [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (p): p is string => !!p && fs.existsSync(p),
  );
}
