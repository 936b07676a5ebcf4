// bin/tsetcdutl: the offline tool (like etcdutl). Its commands (snapshot status/restore, defrag,
// backup, certs) arrive with the snapshot and security issues; until then it says so plainly and
// exits non-zero rather than pretending.
const args = process.argv.slice(2);
if (args[0] === 'version' || args[0] === '--version') {
  const { ETCD_API_VERSION, TSETCD_VERSION } = await import('../../version.js');
  process.stdout.write(`tsetcdutl version: ${TSETCD_VERSION}\nAPI version: ${ETCD_API_VERSION.split('.').slice(0, 2).join('.')}\n`);
} else {
  process.stderr.write(`Error: tsetcdutl ${args.join(' ') || '(no command)'}: not implemented yet in this version of tsetcdutl\n`);
  process.exit(1);
}
