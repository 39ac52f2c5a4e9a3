<?php
// Every extension named on the command line is loaded (as `php -m` lists them), and those that
// Laravel and Symfony lean on work; one line if all is well.
// usage: php extensions.php EXTENSION...
$wanted = array_map('strtolower', array_slice($argv, 1));
$missing = array_values(array_diff($wanted, array_map('strtolower', get_loaded_extensions())));
if ($missing || !$wanted) {
    echo 'not loaded: ' . implode(', ', $missing ?: ['(none asked for)']) . "\n";
    exit(1);
}
$dom = new DOMDocument();
$dom->loadXML('<birds><bird>wren</bird></birds>');
$checks = [
    'dom' => $dom->getElementsByTagName('bird')->item(0)->textContent === 'wren',
    'simplexml' => (string) simplexml_load_string('<bird>tit</bird>') === 'tit',
    'mbstring' => mb_strtoupper("v\u{f6}gel") === "V\u{d6}GEL",
    'curl' => isset(curl_version()['version']),
    'intl' => (new NumberFormatter('de_DE', NumberFormatter::DECIMAL))->format(1234.5) === '1.234,5',
    'pdo_sqlite' => (new PDO('sqlite::memory:'))->query('select 6 * 7')->fetchColumn() == 42,
];
$broken = array_keys(array_filter($checks, fn ($ok) => !$ok));
if ($broken) {
    echo 'not working: ' . implode(', ', $broken) . "\n";
    exit(1);
}
echo count($wanted) . ' extensions load; ' . implode(', ', array_keys($checks)) . " work\n";
