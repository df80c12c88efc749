/**
 * The master's exit codes, Gunicorn's where the meaning is the same.
 *
 * @module
 */

/** Clean shutdown. */
export const EXIT_OK = 0;
/** A failure with no code of its own, such as an address already in use. */
export const EXIT_FAILURE = 1;
/** Bad command-line flags or configuration. */
export const EXIT_USAGE = 2;
/** Workers kept failing to boot for a reason other than the app itself. */
export const EXIT_WORKER_BOOT_ERROR = 3;
/** The app failed to import, or its `setup()` threw. */
export const EXIT_APP_LOAD_ERROR = 4;
