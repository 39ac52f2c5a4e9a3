<?php
echo "hello from php as uid ", posix_getuid(), "\n";
