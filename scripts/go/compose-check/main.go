// compose-check loads a Compose file the way Docker Compose v2 does, with the library Docker
// Compose itself uses (github.com/compose-spec/compose-go/v2): the compose-spec JSON schema,
// `${VAR:?message}` interpolation from an env file, merge keys, path resolution and consistency
// checks. On success it prints the resolved project as JSON (what `docker compose config
// --format json` prints) on stdout; on failure the loader's message on stderr and exit code 1.
//
// Usage: compose-check [--env-file FILE] [--project-dir DIR] COMPOSE_FILE
//
// Unlike `docker compose`, it reads no variable from its own environment: the result depends only
// on the files it is given (a developer's exported TEMPORAL_DB_PASSWORD cannot hide a missing one).
// Without --env-file it reads DIR/.env when that file exists, as Docker Compose does.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	envFile := flag.String("env-file", "", "file with the variables to interpolate (default: .env in the project folder, if any)")
	projectDir := flag.String("project-dir", "", "project folder (default: the folder of the compose file)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: compose-check [--env-file FILE] [--project-dir DIR] COMPOSE_FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}

	options := []cli.ProjectOptionsFn{cli.WithWorkingDirectory(*projectDir)}
	if *envFile != "" {
		options = append(options, cli.WithEnvFiles(*envFile))
	} else {
		options = append(options, cli.WithEnvFiles())
	}
	// The same steps as docker compose's own ToProjectOptions, minus cli.WithOsEnv (see above).
	options = append(options, cli.WithDotEnv)

	projectOptions, err := cli.NewProjectOptions([]string{flag.Arg(0)}, options...)
	if err != nil {
		fail(err)
	}
	project, err := projectOptions.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	resolved, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	fmt.Println(string(resolved))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
	os.Exit(1)
}
