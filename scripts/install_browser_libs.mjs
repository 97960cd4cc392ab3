// Copies the browser libraries npm installed into static/lib, the only place Odoo serves files from.
// SIP.js ships plain ES modules with no dependencies: the browser imports them as they are.
import { cpSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "static", "lib", "sip.js");
rmSync(target, { recursive: true, force: true });
cpSync(join(root, "node_modules", "sip.js", "lib"), target, { recursive: true, filter: (path) => !path.endsWith(".d.ts") });
cpSync(join(root, "node_modules", "sip.js", "LICENSE.md"), join(target, "LICENSE.md"));
console.log(`SIP.js copied to ${target}`);
