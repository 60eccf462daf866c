// Property tests run one fixed seed (CI, `npm test`), or the seed in FC_SEED (`npm run fuzz` draws
// a new one each run). fast-check prints the seed and path of any failure, so a failure replays.
import fc from 'fast-check';

const seed = Number(process.env.FC_SEED ?? 20261130);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
