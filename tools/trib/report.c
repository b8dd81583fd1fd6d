/* Diagnostics output and the TRIB_E* -> exit code table. */
#include "report.h"

#include "table.h"
#include "tributary/error.h"

int trib_exit_for_err(int err)
{
	switch (err) {
	case 0:
		return TRIB_EXIT_OK;
	case TRIB_ENOTFOUND:
		return TRIB_EXIT_NOTFOUND;
	case TRIB_EINVALID:
	case TRIB_ECONFLICT:
		return TRIB_EXIT_INVALID;
	case TRIB_EUNAVAILABLE:
		return TRIB_EXIT_UNAVAILABLE;
	case TRIB_EPOLICY:
		return TRIB_EXIT_POLICY;
	default:
		return TRIB_EXIT_ERROR;
	}
}

void trib_report_diags(trib_cli *cli, const ing_result *r, size_t from)
{
	for (size_t i = from; i < r->n_diags; i++) {
		const ing_diag *d = &r->diags[i];
		if (cli->quiet && d->severity == ING_WARNING)
			continue;
		char line[2048];
		ing_diag_format(line, sizeof line, d);
		fprintf(cli->err, "%s\n", trib_text_clean(&cli->arena, line));
	}
}
