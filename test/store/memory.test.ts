import { createMemoryStore } from '../../src/store/memory.js';
import { defineStoreContract } from './contract.js';

defineStoreContract('memory', async () => ({ store: createMemoryStore() }));
