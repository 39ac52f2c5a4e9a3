<?php
namespace Birds;

final class Counter
{
    public static function count(array $birds): string
    {
        sort($birds);
        return count($birds) . ' birds: ' . implode(', ', $birds);
    }
}
