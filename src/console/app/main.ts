/** The console's entry: a `#token=` link signs in (and leaves the address bar at once), then the app renders. */
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { html } from 'htm/preact';
import { render } from 'preact';
import { App } from './app.js';
import { takeTokenFromFragment } from './session.js';

takeTokenFromFragment(location, history, sessionStorage);
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
