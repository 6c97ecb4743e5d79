/**
 * Shell commands the library proofs run in a VM to see a symptom as a trainee would. Written
 * once here so every proof measures the same way.
 */

/**
 * The busiest process of the VM as top sees it over `delayS` seconds (its second sample: the
 * first one counts since boot), printed by `awkPrint` from top's columns ($9 %CPU, $12 the
 * command); by default its whole-number CPU share.
 */
export function busiestProcess(delayS = 1, awkPrint = 'printf "%d", $9'): string {
  return `top -b -n 2 -d ${delayS} -o %CPU | awk '/^top -/ {n++} n == 2 && $1 ~ /^[0-9]+$/ {${awkPrint}; exit}'`;
}

/** `GET /api/items` on each node, `times` in a row, a line each as curl's `write` format (`<code> <seconds>` by default). */
export function itemsFromEachNode(nodes: readonly string[], times = 1, write = '%{http_code} %{time_total}\\n'): string {
  const curl = `curl -s -m 20 -o /dev/null -w '${write}' http://$n/api/items`;
  return `for n in ${nodes.join(' ')}; do ${times > 1 ? `for i in ${Array.from({ length: times }, (_, i) => i + 1).join(' ')}; do ${curl}; done` : curl}; done`;
}
