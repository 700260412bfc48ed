/**
 * True in the long-running server (`aisle serve`), false in the application context of a one-shot command.
 * Only the server claims queued jobs in the background, runs cron schedules, listens to the change feed and
 * keeps caches warm; a command runs its own piece of work and exits.
 */
export const LONG_RUNNING_SERVER = Symbol('LONG_RUNNING_SERVER');
