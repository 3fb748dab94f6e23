/** Page entry: both ?room= and ?name= given → join at once; otherwise show the join page first. */
import { readParams } from './params';
import { showJoinPage } from './join-page';
import { startCall } from './call-view';
import { showJoinFailure } from './access-refused';
import { prepareWebRtc } from '../lib';

const root = document.getElementById('app')!;
const params = readParams();

async function run(): Promise<void> {
  // While the user is on the join form: the browser's WebRTC capabilities, which joining would wait for.
  void prepareWebRtc();
  const choice = params.room && params.name ? { room: params.room, name: params.name } : await showJoinPage(root, params);
  // Keep the switches (?relay=1 …) so a reload rejoins the same way.
  const query = new URLSearchParams(location.search);
  query.set('room', choice.room);
  query.set('name', choice.name);
  history.replaceState(null, '', `?${query}`);
  await startCall(root, choice, params);
}

run().catch((error: Error) => showJoinFailure(root, error));
