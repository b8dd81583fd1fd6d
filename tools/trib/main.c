/* trib: the command-line client of tributaryd. Everything lives in libtrib_client (cli.c). */
#include "cli.h"

int main(int argc, char **argv)
{
	return trib_main(argc, argv);
}
