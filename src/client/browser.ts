// Entry of the browser bundle (/pushi.js): a plain <script> tag gets a global `Pushi`.
import { Pushi } from './pushi.ts';

(globalThis as { Pushi?: typeof Pushi }).Pushi = Pushi;
