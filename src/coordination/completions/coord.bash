# bash completion for coord                                   -*- shell-script -*-
#
# Install: `coord completions install --shell bash` (writes it to
# ~/.local/share/bash-completion/completions/coord), or copy it to
# /etc/bash_completion.d/coord, or `source` it from ~/.bashrc.

_coord_commands="start stop status init doctor claim release extend ls conflicts request-release respond requests cancel-request ownership check hook completions"
_coord_hook_commands="pre-push gate claude-pre-tool-use codex-pre-tool-use"
_coord_ownership_commands="pull push"
_coord_completions_commands="install show"

_coord_opts_for() {
    case "$1" in
        start)     echo "--background -b --host --port --help" ;;
        stop|status|doctor) echo "--help" ;;
        init)      echo "--tool --mode --yes -y --url --token --repo-id --enforce --help" ;;
        claim)     echo "--type -t --symbol -s --ttl --description -d --branch --engineer -e --wait -w --urgency -u --json --help" ;;
        release)   echo "--all --pattern --engineer -e --help" ;;
        extend)    echo "--ttl --engineer -e --json --help" ;;
        ls)        echo "--everyone -a --engineer -e --json --help" ;;
        conflicts) echo "--symbol -s --engineer -e --json --help" ;;
        request-release) echo "--reason -r --urgency -u --pattern -p --symbol -s --engineer -e --help" ;;
        respond)   echo "--keep-pattern --keep-symbol --note -n --engineer -e --help" ;;
        requests)  echo "--role --state --everyone -a --engineer -e --json --help" ;;
        cancel-request) echo "--engineer -e --help" ;;
        check)     echo "--base --engineer --strict --help" ;;
        hook)      echo "--help" ;;
        ownership) echo "--force --replace-managed --file -f --help" ;;
        completions) echo "--shell --help" ;;
    esac
}

_coord_git_refs() {
    git for-each-ref --format='%(refname:short)' refs/heads refs/remotes refs/tags 2>/dev/null
}

_coord() {
    local cur prev cmd i
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"

    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            -*) ;;
            *) cmd="${COMP_WORDS[i]}"; break ;;
        esac
    done

    case "$prev" in
        --tool)   COMPREPLY=($(compgen -W "claude codex cursor" -- "$cur")); return ;;
        --mode)   COMPREPLY=($(compgen -W "local shared" -- "$cur")); return ;;
        --enforce) COMPREPLY=($(compgen -W "standard strict" -- "$cur")); return ;;
        --type|-t) COMPREPLY=($(compgen -W "file module shared_file" -- "$cur")); return ;;
        --urgency|-u) COMPREPLY=($(compgen -W "low normal high blocking" -- "$cur")); return ;;
        --role)   COMPREPLY=($(compgen -W "holder requester" -- "$cur")); return ;;
        --state)  COMPREPLY=($(compgen -W "open answered cancelled" -- "$cur")); return ;;
        --shell)  COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return ;;
        --base)   COMPREPLY=($(compgen -W "$(_coord_git_refs)" -- "$cur")); return ;;
        --url|--token|--repo-id|--engineer|-e|--host|--port|--ttl|--description|-d|--branch|--symbol|-s|--wait|-w|--pattern|-p|--reason|-r|--keep-pattern|--keep-symbol|--note|-n)
            return ;;
        --file|-f) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac

    if [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W "$_coord_commands --version --help" -- "$cur"))
        return
    fi

    if [[ "$cmd" == "hook" ]]; then
        local sub=""
        for ((i = i + 1; i < COMP_CWORD; i++)); do
            case "${COMP_WORDS[i]}" in -*) ;; *) sub="${COMP_WORDS[i]}"; break ;; esac
        done
        if [[ -z "$sub" ]]; then
            COMPREPLY=($(compgen -W "$_coord_hook_commands --help" -- "$cur"))
        fi
        return
    fi

    if [[ "$cmd" == "ownership" && "$cur" != -* ]]; then
        local sub=""
        for ((i = i + 1; i < COMP_CWORD; i++)); do
            case "${COMP_WORDS[i]}" in -*) ;; *) sub="${COMP_WORDS[i]}"; break ;; esac
        done
        if [[ -z "$sub" ]]; then
            COMPREPLY=($(compgen -W "$_coord_ownership_commands" -- "$cur"))
        fi
        return
    fi

    if [[ "$cmd" == "completions" && "$cur" != -* ]]; then
        local sub=""
        for ((i = i + 1; i < COMP_CWORD; i++)); do
            case "${COMP_WORDS[i]}" in -*) ;; *) sub="${COMP_WORDS[i]}"; break ;; esac
        done
        if [[ -z "$sub" ]]; then
            COMPREPLY=($(compgen -W "$_coord_completions_commands" -- "$cur"))
        fi
        return
    fi

    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_coord_opts_for "$cmd")" -- "$cur"))
        return
    fi

    case "$cmd" in
        claim|conflicts) COMPREPLY=($(compgen -f -- "$cur")) ;;
        respond)
            # second positional argument: the answer
            local n=0
            for ((i = i + 1; i < COMP_CWORD; i++)); do
                case "${COMP_WORDS[i]}" in -*) ;; *) n=$((n + 1)) ;; esac
            done
            if [[ $n -eq 1 ]]; then
                COMPREPLY=($(compgen -W "release narrow coexist deny" -- "$cur"))
            fi ;;
    esac
}

complete -F _coord coord
