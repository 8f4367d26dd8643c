from searchlib.cli import main

raise SystemExit(main())
