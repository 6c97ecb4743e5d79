/**
 * Fake fixes the proofs try before the real one: each silences what a shallow check would
 * look at without touching the cause. A run must never resolve on one of them.
 */

/** nginx answers the health path and the item API itself, with canned bodies, whatever the app does. */
export const NGINX_ANSWERS_ITSELF = [
  `grep -q 'location = /healthz' /etc/nginx/sites-available/default || sed -i 's|^    location / {|    location = /healthz { return 200 "ok"; }\\n    location = /api/items { default_type application/json; return 201 "{\\\\"id\\\\":1,\\\\"name\\\\":\\\\"ok\\\\"}"; }\\n    location / {|' /etc/nginx/sites-available/default`,
  'nginx -t',
  'systemctl reload nginx',
].join(' && ');

/** Puts nginx back to proxying everything to the app (part of a real fix after a fake one). */
export const NGINX_PROXIES_AGAIN = `sed -i '/location = \\/healthz\\|location = \\/api\\/items/d' /etc/nginx/sites-available/default && nginx -t && systemctl reload nginx`;
