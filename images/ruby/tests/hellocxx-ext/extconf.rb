require "mkmf"
create_makefile("hellocxx")
