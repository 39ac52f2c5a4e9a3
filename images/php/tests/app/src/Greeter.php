<?php
namespace Birdhouse\Hello;

final class Greeter
{
    public static function greet(): string
    {
        return "php extension says " . hello_answer();
    }
}
