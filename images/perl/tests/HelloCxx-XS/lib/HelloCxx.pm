package HelloCxx;
use strict;
use warnings;
our $VERSION = '0.01';
require XSLoader;
XSLoader::load('HelloCxx', $VERSION);
1;
