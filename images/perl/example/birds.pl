use strict;
use warnings;

my @birds = sort qw(wren tit robin);
printf "%d birds: %s\n", scalar @birds, join(", ", @birds);
