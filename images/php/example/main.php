<?php
require __DIR__ . '/vendor/autoload.php';

echo \Birds\Counter::count(['wren', 'tit', 'robin']), "\n";
