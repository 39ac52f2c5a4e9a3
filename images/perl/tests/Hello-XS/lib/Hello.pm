package Hello;
use strict;
use warnings;
our $VERSION = '0.01';
require XSLoader;
XSLoader::load('Hello', $VERSION);
1;
