<?php
require __DIR__ . '/vendor/autoload.php';

echo \Birdhouse\Hello\Greeter::greet(), "\n";
