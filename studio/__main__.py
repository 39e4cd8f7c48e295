from studio.cli.main import main

main()
