/**
 * `npm run token`: mints an access token with one of AUTH_KEYS. stdout gets the token, then the join
 * link (so `| head -1` is the token alone); a summary goes to stderr. Bad arguments: one line, exit 2.
 */
import { mintToken } from './mint';
import { parseTokenArgs, TOKEN_USAGE, TokenOptionsError } from './token-options';

async function main(): Promise<void> {
  let args;
  try {
    args = parseTokenArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof TokenOptionsError)) throw error;
    process.stderr.write(`confero token: ${error.message}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${TOKEN_USAGE}\n`);
    return;
  }
  const { mint, pageUrl } = args.request;
  const token = await mintToken(mint);
  const link = `${pageUrl}&token=${encodeURIComponent(token)}`;
  process.stdout.write(`${token}\n${link}\n`);
  const { video } = mint;
  const granted = Object.entries(video)
    .filter(([name, value]) => value === true && name !== 'roomJoin')
    .map(([name]) => name);
  const expires = new Date(Date.now() + (mint.ttlSeconds ?? 0) * 1000).toISOString();
  process.stderr.write(
    `token for ${JSON.stringify(mint.identity)} in room ${video.room}, signed with key ${mint.apiKey}: ${granted.join(', ') || 'join only'}` +
      `${video.canPublishSources ? ` (sources: ${video.canPublishSources.join(', ')})` : ''}, expires ${expires}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`confero token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
