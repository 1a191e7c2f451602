// Runs Azurite for FormFiles.DevHost and the tests, and ends it when its parent ends.
// The parent holds this process's stdin open; when the parent exits for any reason (even
// SIGKILL), stdin reaches end-of-file and Azurite goes with it, so no orphan is left behind.
// Usage: node azurite-launcher.js <path to azurite.js> [azurite options...]
const azurite = process.argv.splice(2, 1)[0];
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
require(azurite);
