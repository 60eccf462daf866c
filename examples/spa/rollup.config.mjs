// `npm run build -w @tokenward/example-spa` (the root `npm start` calls buildSpa() directly).
import { spaConfig } from './build.mjs';

export default spaConfig();
