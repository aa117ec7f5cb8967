// Runs s3rver in a process of its own, so that the memory the upload tests measure is the app's
// alone. Arguments: port (0 for a free one) and data directory; sends the bound port to the parent.
import process from 'node:process';
import S3rver from 's3rver';

const [port, directory] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: Number(port), directory, silent: true });
const address = await server.run();
process.send?.({ port: address.port });
process.on('disconnect', () => process.exit(0));
