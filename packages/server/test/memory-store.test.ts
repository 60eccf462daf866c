import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/index.js';
import { testStore } from '../src/conformance.js';

testStore(() => createMemoryStore(), { describe, it, expect });
