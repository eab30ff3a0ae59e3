// Registers tsHook.mjs; used as `node --experimental-transform-types --import <this> script.ts`.
import { register } from 'node:module';
register('./tsHook.mjs', import.meta.url);
